/**
 * The loader trusts nothing it reads (flipped bytes, a damaged array header), and a run that is
 * killed and resumed ends with the same weights, bit for bit, as one that never stopped.
 */
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/index.ts';
import { expectDatadietError } from '../core/test-helpers.ts';
import { generateTiny, tempDir } from '../generator/test-helpers.ts';
import { readManifest, shardPath } from '../output/index.ts';
import {
  createLoader,
  disposeBatch,
  loadCheckpoint,
  selectBackend,
  train,
  type TrainConfigInput,
} from './index.ts';

let data = '';

beforeAll(async () => {
  const { out } = await generateTiny(
    {
      width: 16,
      height: 16,
      sequences: 24,
      frames: 4,
      layers: ['rgb', 'seg'],
      sequences_per_shard: 4,
      lighting: { shadows: false },
      render: { antialias: false },
    },
    { workers: 1 },
  );
  data = out;
  await selectBackend('wasm');
});

const config = (over: Partial<TrainConfigInput> = {}): TrainConfigInput => ({
  objective: 'sfa',
  steps: 12,
  batch: 8,
  lr: 3e-3,
  clip: 2,
  shuffleBuffer: 16,
  // After 5 steps tfjs's pow(β₂, 6) and the running product β₂⁶ differ in the last bit.
  checkpointEvery: 5,
  encoder: { width: 4, embedding: 3 },
  ...over,
});

/** A copy of the dataset whose shard `index` has `bytes` written at `offset` (or at `find`). */
async function damaged(opts: { index: number; at: (tar: Buffer) => number; bytes: Buffer }) {
  const dir = await tempDir('damaged');
  await cp(data, dir, { recursive: true });
  const m = await readManifest(dir);
  const path = shardPath(dir, m.shards[opts.index]!);
  const tar = await readFile(path);
  opts.bytes.copy(tar, opts.at(tar));
  await writeFile(path, tar);
  return { dir, file: m.shards[opts.index]!.file };
}

describe('the loader checks what it reads', () => {
  it('7 overwritten bytes inside pixel data: train stops with DATASET_CORRUPT before any step', async () => {
    // Inside the first sample's left.rgb.npy data: the tar and npy headers stay valid.
    const { dir, file } = await damaged({
      index: 0,
      at: (tar) => tar.indexOf('left.rgb.npy') + 512 + 128 + 100,
      bytes: Buffer.from([1, 2, 3, 4, 5, 6, 7]),
    });
    let steps = 0;
    const e = await expectDatadietError(
      train({
        data: dir,
        out: await tempDir('flip'),
        backend: 'wasm',
        config: config(),
        onStep: () => steps++,
      }),
      'DATASET_CORRUPT',
      new RegExp(`${file}: sha256 .* does not match`),
    );
    expect(e.message).toMatch(/samples seq-00000000 … seq-00000003/);
    expect(steps).toBe(0);
    // The CLI: one line, the dataset-corrupt exit code, no stack trace.
    const errs: string[] = [];
    const cliOut = await tempDir('flip-cli');
    const argv = ['train', '--data', dir, '--out', cliOut, '--objective', 'sfa', '--steps', '3'];
    const code = await main(
      [...argv, '--width', '4', '--clip', '2', '--backend', 'wasm'],
      () => {},
      (l) => errs.push(l),
    );
    expect(code).toBe(6);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^error\[DATASET_CORRUPT\].*sha256/);

    // With the explicit flag the shard is left out and listed in the run's record.
    const out = await tempDir('flip-skip');
    const r = await train({ data: dir, out, backend: 'wasm', config: config(), skipCorrupt: true });
    expect(r.step).toBe(12);
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as {
      skipped: { shards: string[] };
    };
    expect(run.skipped.shards).toHaveLength(1);
    expect(run.skipped.shards[0]).toMatch(file);
    r.model.params.dispose();
  });

  it('a member with the wrong dtype is named by shard and sample', async () => {
    // The npy header of seq-00000005's left.rgb says float32: the sha256 catches it too, but the
    // sample check speaks first and names the sample.
    const { dir, file } = await damaged({
      index: 1,
      at: (tar) => tar.indexOf("'descr': '|u1'", tar.indexOf('seq-00000005.left.rgb.npy')) + 10,
      bytes: Buffer.from('<f4'),
    });
    const loader = await createLoader({ dir, batchSize: 2, clipLength: 2, shuffleBuffer: 1 });
    const it = loader.batches();
    await expectDatadietError(
      (async () => {
        for (;;) {
          const b = await it.next();
          if (b.done) break;
          disposeBatch(b.value);
        }
      })(),
      'DATASET_CORRUPT',
      new RegExp(`${file}: sample 'seq-00000005' member 'left.rgb.npy': npy: float32`),
    );
  });
});

describe('exact resume', () => {
  it('a run that died after its step-5 checkpoint and was resumed ≡ one that never stopped', async () => {
    const whole = await train({
      data,
      out: await tempDir('whole'),
      backend: 'wasm',
      config: config(),
    });
    const out = await tempDir('killed');
    // Dies during step 7: the step-5 checkpoint is the newest; a half-written one is left behind.
    await expect(
      train({
        data,
        out,
        backend: 'wasm',
        config: config(),
        onStep: (s) => {
          if (s.step === 7) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const tmp = join(out, 'checkpoints', 'step-00000010.tmp-999999999');
    await mkdir(tmp, { recursive: true });
    expect(await readdir(join(out, 'checkpoints'))).toContain('step-00000005');
    const resumed = await train({ data, out, backend: 'wasm', config: config() });
    expect(resumed.startStep).toBe(5);
    expect(await readdir(join(out, 'checkpoints'))).toEqual([
      'step-00000005',
      'step-00000010',
      'step-00000012',
    ]);
    // Same batches after the resume: the losses of steps 6…12 agree exactly.
    expect(resumed.losses).toEqual(whole.losses.slice(5));
    const a = await loadCheckpoint(whole.checkpoint!);
    const b = await loadCheckpoint(resumed.checkpoint!);
    for (const [name, t] of Object.entries(a.weights)) {
      expect(Buffer.from(b.weights[name]!.dataSync().buffer)).toEqual(
        Buffer.from(t.dataSync().buffer),
      );
    }
    for (const [i, t] of a.optimizer!.entries()) {
      expect(Array.from(b.optimizer![i]!.tensor.dataSync())).toEqual(
        Array.from(t.tensor.dataSync()),
      );
    }
    whole.model.params.dispose();
    resumed.model.params.dispose();
  });
});
