/**
 * Training on a real generated dataset (headless Chromium renders it once for this file): the
 * loader, SFA judged on held-out sequences, the supervised baseline, checkpoints and resume, the
 * CLI, and the errors users meet.
 */
import { readFile, rm, truncate, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectDatadietError } from '../core/test-helpers.ts';
import { main } from '../cli/index.ts';
import { generateTiny, loadAll, tempDir, view } from '../generator/test-helpers.ts';
import { readDataset, sampleArray, typedView } from '../output/index.ts';
import {
  TrainConfigSchema,
  buildModel,
  createLoader,
  disposeBatch,
  loadModel,
  selectBackend,
  sequenceFeatures,
  sequenceLabel,
  slownessStats,
  train,
  type TrainConfigInput,
} from './index.ts';

let data = '';

beforeAll(async () => {
  // SFA's held-out statistics need many held-out sequences: their outputs are near-constant
  // within a sequence, so each sequence is about one sample of a correlation.

  const { out } = await generateTiny(
    {
      width: 16,
      height: 16,
      sequences: 192,
      frames: 8,
      layers: ['rgb', 'seg'],
      sequences_per_shard: 16,
      lighting: { shadows: false },
      render: { antialias: false },
      camera: { trajectory: { kind: 'orbit', speed_deg_s: [20, 45] } },
    },
    { workers: 2 },
  );
  data = out;
  await selectBackend('wasm');
});

describe('loader', () => {
  it('batches clips of consecutive frames and their stereo pairs, pixels in [0, 1]', async () => {
    const samples = await loadAll(data);
    const loader = await createLoader({
      dir: data,
      batchSize: 5,
      clipLength: 3,
      eyes: 'both',
      shuffleBuffer: 20,
      seed: 1,
    });
    const it = loader.batches();
    const b = (await it.next()).value!;
    expect(b.left.shape).toEqual([5, 3, 16, 16, 3]);
    expect(b.right!.shape).toEqual([5, 3, 16, 16, 3]);
    const [key, start] = b.keys[0]!.split('@') as [string, string];
    const s = samples.find((x) => x.key === key)!;
    const frame = 16 * 16 * 3;
    for (const eye of ['left', 'right'] as const) {
      const raw = view(s.arrays.get(`${eye}.rgb.npy`));
      const want = Array.from(raw.subarray(+start * frame, (+start + 3) * frame) as Uint8Array);
      const got = Array.from(
        (eye === 'left' ? b.left : b.right!).slice([0], [1]).dataSync() as Float32Array,
      );
      expect(got.map((v) => Math.round(v * 255))).toEqual(want);
    }
    disposeBatch(b);
    await it.return(undefined);
  });

  it('shuffles with its seed only, resizes, and splits held-out sequences off', async () => {
    const keys = async (seed: number) => {
      const l = await createLoader({
        dir: data,
        batchSize: 8,
        clipLength: 4,
        clipStride: 4,
        seed,
        repeat: false,
        size: [8, 8],
      });
      const out: string[] = [];
      for await (const b of l.batches()) {
        expect(b.left.shape.slice(2)).toEqual([8, 8, 3]);
        out.push(...b.keys);
        disposeBatch(b);
      }
      return out;
    };
    const [a, a2, c] = [await keys(3), await keys(3), await keys(4)];
    expect(a).toEqual(a2);
    expect(a).not.toEqual(c);
    expect(new Set(a).size).toBe(192 * 2); // one pass: every clip exactly once
    const seqs = async (split: 'train' | 'heldout') => {
      const l = await createLoader({
        dir: data,
        batchSize: 4,
        clipLength: 8,
        split,
        heldOutEvery: 4,
        repeat: false,
      });
      const s = new Set<string>();
      for await (const b of l.batches()) {
        for (const k of b.keys) s.add(k.split('@')[0]!);
        disposeBatch(b);
      }
      return s;
    };
    const [tr, ho] = [await seqs('train'), await seqs('heldout')];
    expect(ho.size).toBe(48);
    expect(tr.size).toBe(144);
    for (const k of ho) expect(tr.has(k)).toBe(false);
  });

  it('labels a sequence with the category of the object covering the most pixels', async () => {
    let checked = 0;
    for await (const s of readDataset(data)) {
      const json = JSON.parse(s.members.get('json')!.toString()) as {
        objects: { id: number; category_index: number }[];
      };
      const seg = typedView(sampleArray(s, 'left.seg.npy'));
      const counts = json.objects.map((o) => seg.filter((v) => v === o.id).length);
      const best = counts.indexOf(Math.max(...counts));
      if (json.objects.length > 1 && Math.max(...counts) > 0) checked++;
      expect(sequenceLabel(s)).toBe(json.objects[best]!.category_index);
    }
    expect(checked).toBeGreaterThan(0);
  });
});

const tiny = (over: Partial<TrainConfigInput>): TrainConfigInput => ({
  objective: 'sfa',
  steps: 4,
  batch: 8,
  lr: 3e-3,
  encoder: { width: 8, embedding: 3 },
  ...over,
});

describe('SFA', () => {
  it('learns slow, decorrelated, non-collapsed outputs on held-out sequences', async () => {
    const out = await tempDir('sfa');
    // Two outputs: with 96 held-out sequences a correlation's sampling noise is ~0.1, so the
    // largest of three pairs would sit at the 0.2 bar even for a perfect model.
    const config = tiny({
      steps: 800,
      batch: 32,
      clip: 4,
      heldOutEvery: 2,
      logEvery: 100,
      checkpointEvery: 800,
      encoder: { width: 8, embedding: 2 },
    });
    const r = await train({ data, out, backend: 'wasm', config });
    const first = r.losses.slice(0, 10).reduce((a, l) => a + l.loss, 0) / 10;
    const last = r.losses.slice(-10).reduce((a, l) => a + l.loss, 0) / 10;
    expect(last).toBeLessThan(first * 0.5);

    const ho = { dir: data, split: 'heldout' as const, heldOutEvery: 2 };
    const trained = await sequenceFeatures({ ...ho, apply: (x) => r.model.encode!(x).embedding });
    const fresh = buildModel(TrainConfigSchema.parse(config), r.shape);
    const untrained = await sequenceFeatures({ ...ho, apply: (x) => fresh.encode!(x).embedding });
    // The baseline through its registered objective: same seed, so the same untrained encoder.
    const lin = await train({
      data,
      out: await tempDir('sfa-linear'),
      backend: 'wasm',
      config: { ...config, objective: 'sfa-linear' },
    });
    const probe = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    expect(Array.from(lin.model.encode!(probe).pooled.dataSync())).toEqual(
      Array.from(fresh.encode!(probe).pooled.dataSync()),
    );
    const linearHeld = await sequenceFeatures({
      ...ho,
      apply: (x) => lin.model.encode!(x).embedding,
    });
    expect(linearHeld.dim).toBe(2);

    expect(trained.sequences.length).toBe(96);
    const s = slownessStats(trained.sequences, 2);
    const u = slownessStats(untrained.sequences, 2);
    const l = slownessStats(linearHeld.sequences, 2);
    console.log(
      `SFA held-out (${trained.sequences.length} sequences): Δ trained ${s.meanDelta.toFixed(4)}, untrained ${u.meanDelta.toFixed(4)}, linear SFA ${l.meanDelta.toFixed(4)}; |corr| ${s.maxOffDiagonalCorrelation.toFixed(3)}; raw std ${s.rawStd.map((v) => v.toFixed(2)).join(', ')}`,
    );
    // Raw outputs far above any normalisation epsilon, decorrelated, and slower than both baselines.
    for (const std of s.rawStd) expect(std).toBeGreaterThan(0.2);
    expect(s.maxOffDiagonalCorrelation).toBeLessThan(0.2);
    expect(s.meanDelta).toBeLessThan(u.meanDelta);
    expect(s.meanDelta).toBeLessThan(l.meanDelta);

    // The Δ-values per output are logged.
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    const logged = JSON.parse(lines[99]!) as { step: number; delta: number[] };
    expect(logged.step).toBe(100);
    expect(logged.delta).toHaveLength(2);
    r.model.params.dispose();
    fresh.params.dispose();
    lin.model.params.dispose();
  });

  it('binocular: left/right of one instant count as adjacent (loss goes down)', async () => {
    const r = await train({
      data,
      out: await tempDir('sfa-bino'),
      backend: 'wasm',
      config: tiny({ steps: 60, sfa: { binocular: true }, checkpointEvery: 60 }),
    });
    expect(r.losses.at(-1)!.loss).toBeLessThan(r.losses[0]!.loss);
    r.model.params.dispose();
  });
});

describe('supervised baseline', () => {
  it('loss goes down on category labels', async () => {
    const r = await train({
      data,
      out: await tempDir('sup'),
      backend: 'wasm',
      config: tiny({
        objective: 'supervised',
        steps: 300,
        batch: 32,
        lr: 1e-2,
        encoder: { width: 8, embedding: 16 },
        checkpointEvery: 300,
      }),
    });
    const mean = (xs: { loss: number }[]) => xs.reduce((a, x) => a + x.loss, 0) / xs.length;
    expect(mean(r.losses.slice(-10))).toBeLessThan(0.8 * mean(r.losses.slice(0, 10)));
    r.model.params.dispose();
  });
});

describe('runs', () => {
  it('same seed and backend ⇒ same first-step loss; another seed differs', async () => {
    const first = async (seed: number) => {
      const r = await train({
        data,
        out: await tempDir('seed'),
        backend: 'wasm',
        config: tiny({ steps: 1, seed }),
      });
      r.model.params.dispose();
      return r.losses[0]!.loss;
    };
    const [a, b, c] = [await first(5), await first(5), await first(6)];
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('checkpoints round-trip, and a rerun resumes the step count', async () => {
    const out = await tempDir('resume');
    const config = tiny({ steps: 4, checkpointEvery: 2 });
    const r1 = await train({ data, out, backend: 'wasm', config });
    expect(r1.step).toBe(4);
    expect(await readdir(join(out, 'checkpoints'))).toEqual(['step-00000002', 'step-00000004']);
    const json = JSON.parse(await readFile(join(r1.checkpoint!, 'model.json'), 'utf8')) as {
      weightsManifest: { paths: string[] }[];
    };
    expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin']);

    const loaded = await loadModel(r1.checkpoint!);
    expect(loaded.meta.step).toBe(4);
    const x = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const a = r1.model.encode!(x).embedding.dataSync();
    const b = loaded.model.encode!(x).embedding.dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    const fresh = buildModel(TrainConfigSchema.parse(config), r1.shape);
    expect(Array.from(fresh.encode!(x).embedding.dataSync())).not.toEqual(Array.from(a));

    const r2 = await train({ data, out, backend: 'wasm', config: { ...config, steps: 7 } });
    expect(r2.startStep).toBe(4);
    expect(r2.step).toBe(7);
    const steps = (await readFile(join(out, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await readFile(join(out, 'loss.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline/);
    for (const m of [r1.model, r2.model, loaded.model, fresh]) m.params.dispose();
  });

  it('a run folder refuses a different model or frame size, and a corrupt checkpoint', async () => {
    const out = await tempDir('mismatch');
    const r = await train({ data, out, backend: 'wasm', config: tiny({ steps: 2 }) });
    r.model.params.dispose();
    await expectDatadietError(
      train({
        data,
        out,
        backend: 'wasm',
        config: tiny({ steps: 3, encoder: { width: 4, embedding: 3 } }),
      }),
      'RUN_MISMATCH',
    );
    await expectDatadietError(
      train({ data, out, backend: 'wasm', config: tiny({ steps: 3, size: 12 }) }),
      'RUN_MISMATCH',
    );
    await expectDatadietError(
      train({
        data,
        out,
        backend: 'wasm',
        config: tiny({ steps: 3, encoder: { width: 8, embedding: 3, antialias: true } }),
      }),
      'RUN_MISMATCH',
    );
    // A checkpoint written before encoder.antialias existed (no such key) is the plain encoder.
    const modelJson = join(out, 'checkpoints', 'step-00000002', 'model.json');
    const old = JSON.parse(await readFile(modelJson, 'utf8')) as {
      modelTopology: { config: { encoder: Record<string, unknown> } };
    };
    delete old.modelTopology.config.encoder.antialias;
    await writeFile(modelJson, JSON.stringify(old));
    const resumed = await train({ data, out, backend: 'wasm', config: tiny({ steps: 3 }) });
    resumed.model.params.dispose();
    const ck = join(out, 'checkpoints', 'step-00000003', 'weights.bin');
    await truncate(ck, 100);
    await expectDatadietError(
      train({ data, out, backend: 'wasm', config: tiny({ steps: 4 }) }),
      'CHECKPOINT_CORRUPT',
    );
  });
});

describe('bad input', () => {
  it('names missing and corrupt data, impossible clips, unknown objectives', async () => {
    await expectDatadietError(
      train({
        data: '/nonexistent/data',
        out: await tempDir('x'),
        backend: 'wasm',
        config: tiny({}),
      }),
      'DATASET_NOT_FOUND',
    );
    await expectDatadietError(
      train({ data, out: await tempDir('x'), backend: 'wasm', config: tiny({ clip: 9 }) }),
      'MODEL_DATA_MISMATCH',
    );
    await expectDatadietError(
      train({
        data,
        out: await tempDir('x'),
        backend: 'wasm',
        config: tiny({ objective: 'nope' }),
      }),
      'OBJECTIVE_UNKNOWN',
    );
    // A bad value names the config field (the CLI names its flag: cli/flags.test.ts).
    await expectDatadietError(
      train({
        data,
        out: await tempDir('x'),
        backend: 'wasm',
        config: tiny({
          objective: 'egomotion',
          egomotion: { targets: ['head_vel', 'nope' as 'gaze'] },
        }),
      }),
      'CONFIG_INVALID',
      /^egomotion\.targets, item 2: .*head_angvel/,
    );
    await expectDatadietError(
      train({
        data,
        out: await tempDir('x'),
        backend: 'wasm',
        config: tiny({ objective: 'prednet', prednet: { channels: [3, 8, 8, 8, 8, 8] } }),
      }),
      'MODEL_DATA_MISMATCH',
    );
    // One frame: nothing to compare (sfa) or predict (prednet); a datadiet error, not tfjs's.
    for (const objective of ['sfa', 'prednet']) {
      await expectDatadietError(
        train({
          data,
          out: await tempDir('x'),
          backend: 'wasm',
          config: tiny({ objective, clip: 1 }),
        }),
        'CONFIG_INVALID',
        /^clip 1: /,
      );
    }
    // A stride larger than the kernel (tfjs-wasm computes it wrongly: encoder.test.ts).
    await expectDatadietError(
      train({
        data,
        out: await tempDir('x'),
        backend: 'wasm',
        config: tiny({ encoder: { kernel: 3, stride: 4 } }),
      }),
      'CONFIG_INVALID',
      /^encoder\.stride: must not exceed the kernel size/,
    );
    // Blur-pool's [1,2,1] filter anti-aliases subsampling by 2 only.
    await expectDatadietError(
      train({
        data,
        out: await tempDir('x'),
        backend: 'wasm',
        config: tiny({ encoder: { stride: 1, antialias: true } }),
      }),
      'CONFIG_INVALID',
      /^encoder\.antialias: .*needs stride 2/,
    );
    // A damaged copy of the dataset: one shard cut short.
    const broken = await tempDir('broken');
    const { cp } = await import('node:fs/promises');
    await cp(data, broken, { recursive: true });
    const shard = join(broken, 'shards', 'shard-000000.tar');
    const size = (await readFile(shard)).length;
    await truncate(shard, Math.floor(size / 2));
    await expectDatadietError(
      train({
        data: broken,
        out: await tempDir('x'),
        backend: 'wasm',
        config: tiny({ steps: 20 }),
      }),
      'DATASET_CORRUPT',
    );
    await writeFile(join(broken, 'manifest.json'), '{ not json');
    await expectDatadietError(
      train({ data: broken, out: await tempDir('x'), backend: 'wasm', config: tiny({}) }),
      'DATASET_CORRUPT',
    );
    await rm(broken, { recursive: true, force: true });
  });

  it('backends: unknown is a usage error; tensorflow without tfjs-node says how to install it', async () => {
    await expectDatadietError(selectBackend('tpu'), 'BACKEND_UNKNOWN');
    const hasNode = await import('@tensorflow/tfjs-node' as string).then(
      () => true,
      () => false,
    );
    if (!hasNode) {
      const e = await expectDatadietError(selectBackend('tensorflow'), 'BACKEND_UNAVAILABLE');
      expect(e.hint).toMatch(/npm install @tensorflow\/tfjs-node-gpu/);
    }
    const auto = await selectBackend('auto');
    expect(['tensorflow', 'webgpu', 'wasm']).toContain(auto.name);
    expect(auto.reason).toMatch(/^auto: /);
    await selectBackend('wasm');
  });
});

describe('datadiet train (CLI)', () => {
  it('trains, prints the backend and a summary, and maps errors to one line and an exit code', async () => {
    const out = await tempDir('cli');
    const lines: string[] = [];
    const errs: string[] = [];
    const code = await main(
      [
        'train',
        '--data',
        data,
        '--out',
        out,
        '--objective',
        'supervised',
        '--steps',
        '3',
        '--batch',
        '4',
        '--width',
        '4',
        '--backend',
        'wasm',
      ],
      (l) => lines.push(l),
      (l) => errs.push(l),
    );
    expect(errs).toEqual([]);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^backend: wasm/);
    expect(lines.join('\n')).toMatch(/steps 1–3: loss/);
    expect(await readdir(join(out, 'checkpoints'))).toEqual(['step-00000003']);

    const bad = await main(
      [
        'train',
        '--data',
        data,
        '--out',
        out,
        '--objective',
        'sfa',
        '--steps',
        '1',
        '--backend',
        'tpu',
      ],
      () => {},
      (l) => errs.push(l),
    );
    expect(bad).toBe(2);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^error\[BACKEND_UNKNOWN\]/);
  });
});
