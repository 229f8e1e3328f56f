/**
 * `train --stream`: rendering into the trainer gives the same batches and weights as generating
 * the dataset first and training on it, survives a killed browser (its sequence is rendered again,
 * the same bytes), and a run killed mid-stream resumes to the same weights.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/index.ts';
import { generateTiny, shardHashes, tempDir } from '../generator/test-helpers.ts';
import { readManifest, verifyDataset } from '../output/index.ts';
import type { StreamEvent } from '../generator/index.ts';
import { parseSpec } from '../scenes/index.ts';
import { loadCheckpoint, selectBackend, train, type TrainConfigInput } from './index.ts';

const SPEC = {
  width: 16,
  height: 16,
  sequences: 24,
  frames: 4,
  // The dataset has a layer the stream leaves out (sfa reads rgb only): rgb must not change.
  layers: ['rgb', 'seg'] as ('rgb' | 'seg')[],
  sequences_per_shard: 4,
  lighting: { shadows: false },
  render: { antialias: false },
  seed: 7,
};

const config: TrainConfigInput = {
  objective: 'sfa',
  // 16 buffered + 6 × 8 clips stay inside the dataset's 72 clips: no second pass on disk.
  steps: 6,
  batch: 8,
  lr: 3e-3,
  clip: 2,
  shuffleBuffer: 16,
  checkpointEvery: 3,
  encoder: { width: 4, embedding: 3 },
  // SFA's calibration reads batches past the last step: on disk those would start a second pass
  // over the dataset, in a stream new sequences, so equivalence holds only without it.
  sfa: { calibrationBatches: 0 },
};

/** Chromium main processes started by this process. */
function myBrowserPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && /chrom/i.test(comm)) pids.push(Number(name));
    } catch {
      // the process exited while we looked
    }
  }
  return pids;
}

async function weightsOf(dir: string) {
  const ck = await loadCheckpoint(dir);
  return Object.fromEntries(
    Object.entries(ck.weights).map(([k, t]) => [k, Buffer.from(t.dataSync().buffer)]),
  );
}

let disk: { losses: { step: number; loss: number }[]; weights: Record<string, Buffer> };

beforeAll(async () => {
  await selectBackend('wasm');
  const { out } = await generateTiny(SPEC);
  const r = await train({ data: out, out: await tempDir('disk-run'), backend: 'wasm', config });
  disk = { losses: r.losses, weights: await weightsOf(r.checkpoint!) };
  r.model.params.dispose();
});

describe('train --stream', () => {
  it('≡ generate then train (same losses, same weights), through a killed browser', async () => {
    const events: StreamEvent[] = [];
    let killed = false;
    const out = await tempDir('stream-run');
    const r = await train({
      stream: {
        spec: parseSpec(SPEC),
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'sequence' && e.index === 5 && !killed) {
            killed = true;
            for (const pid of myBrowserPids()) process.kill(pid, 'SIGKILL');
          }
        },
      },
      out,
      backend: 'wasm',
      config,
    });
    expect(killed).toBe(true);
    expect(events.some((e) => e.type === 'retry')).toBe(true);
    expect(r.losses).toEqual(disk.losses);
    expect(await weightsOf(r.checkpoint!)).toEqual(disk.weights);
    // The run records the stream and where it stands.
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as {
      data: { stream: { spec: { seed: number; layers: string[] } } };
      position: { sequence: number };
    };
    expect(run.data.stream.spec.seed).toBe(7);
    expect(run.data.stream.spec.layers).toEqual(['rgb']);
    expect(run.position.sequence).toBeGreaterThan(0);
    r.model.params.dispose();
  });

  it('a stream run that died after its step-3 checkpoint resumes to the same weights', async () => {
    const out = await tempDir('stream-killed');
    const spec = parseSpec(SPEC);
    await expect(
      train({
        stream: { spec },
        out,
        backend: 'wasm',
        config,
        onStep: (s) => {
          if (s.step === 5) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const r = await train({ stream: { spec }, out, backend: 'wasm', config });
    expect(r.startStep).toBe(3);
    expect(r.losses).toEqual(disk.losses.slice(3));
    expect(await weightsOf(r.checkpoint!)).toEqual(disk.weights);
    r.model.params.dispose();
  });

  it('--cache keeps the streamed sequences as the dataset generate makes; a killed run resumes it', async () => {
    const cache = await tempDir('stream-cache');
    const out = await tempDir('stream-cache-run');
    const spec = parseSpec(SPEC);
    const steps = { ...config, steps: 3 };
    const first = await train({ stream: { spec, cache }, out, backend: 'wasm', config: steps });
    first.model.params.dispose();
    // What a SIGKILL mid-shard leaves: a temp file (the next run removes it).
    await writeFile(join(cache, 'shards', 'shard-000009.tar.tmp-1'), 'torn');
    const held = await readManifest(cache);
    expect((await verifyDataset(cache)).ok).toBe(true);
    const r = await train({ stream: { spec, cache }, out, backend: 'wasm', config });
    expect(r.startStep).toBe(3);
    expect(await weightsOf(r.checkpoint!)).toEqual(disk.weights);
    r.model.params.dispose();
    const report = await verifyDataset(cache);
    expect(report.problems).toEqual([]);
    const m = await readManifest(cache);
    // The full shards of the first run are kept; the cache grew with the resumed run.
    const full = held.shards.filter((s) => s.samples === SPEC.sequences_per_shard);
    expect(m.shards.slice(0, full.length)).toEqual(full);
    expect(m.sequences).toBeGreaterThan(held.sequences as number);
    expect(readdirSync(join(cache, 'shards')).some((n) => n.includes('.tmp-'))).toBe(false);
    // The same bytes as `generate` of the stream's layers (sfa reads rgb only).
    const gen = await generateTiny({ ...SPEC, layers: ['rgb'], sequences: m.sequences as number });
    expect(m.shards.map((s) => s.sha256)).toEqual(await shardHashes(gen.out));
    // Another stream into the same cache is refused.
    await expect(
      train({
        stream: { spec: parseSpec({ ...SPEC, seed: 8 }), cache },
        out: await tempDir('stream-cache-other'),
        backend: 'wasm',
        config: steps,
      }),
    ).rejects.toThrow(/--cache .* holds sequences of another stream/);
  });

  it('CLI: --stream with a spec file trains and says what it streams; no data source is a usage error', async () => {
    const dir = await tempDir('stream-cli');
    const specFile = join(dir, 'spec.json');
    await writeFile(specFile, JSON.stringify(SPEC));
    const lines: string[] = [];
    const errs: string[] = [];
    const common = ['--objective', 'sfa', '--steps', '2', '--batch', '4', '--width', '4'].concat([
      '--shuffle-buffer',
      '8',
    ]);
    const code = await main(
      [
        'train',
        '--stream',
        '--spec',
        specFile,
        '--render-workers',
        '1',
        '--out',
        join(dir, 'run'),
      ].concat(common, ['--clip', '2', '--backend', 'wasm']),
      (l) => lines.push(l),
      (l) => errs.push(l),
    );
    expect(errs).toEqual([]);
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(/streaming .*16×16, 4 frames, seed 7\) from 1 render worker/);
    expect(lines.join('\n')).toMatch(/steps 1–2: loss/);
    const bad = await main(
      ['train', '--out', join(dir, 'run2'), ...common],
      () => {},
      (l) => errs.push(l),
    );
    expect(bad).toBe(2);
    expect(errs[0]).toMatch(/^error\[CLI_USAGE\]: train needs --data DIR or --stream/);
    const noStream = await main(
      [
        'train',
        '--data',
        dir,
        '--cache',
        join(dir, 'cache'),
        '--out',
        join(dir, 'run3'),
        ...common,
      ],
      () => {},
      (l) => errs.push(l),
    );
    expect(noStream).toBe(2);
    expect(errs.join('\n')).toMatch(
      /error\[CLI_USAGE\]: --cache keeps the sequences of a --stream/,
    );
  });
});
