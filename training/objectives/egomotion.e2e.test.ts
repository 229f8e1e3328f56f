/**
 * The egomotion objective on a real rendered dataset (headless Chromium, once for this file): a
 * still observer whose head turns (6° jitter) over a checkered floor. Training lowers the loss, and
 * on held-out sequences the predictions beat predicting the held-out mean; the CLI runs it and
 * says what to do when a dataset has no motion signals.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/test-helpers.ts';
import { generateTiny, tempDir } from '../../generator/test-helpers.ts';
import { MOTION_COLUMNS } from '../../scenes/index.ts';
import { createLoader, disposeBatch } from '../loader.ts';
import { selectBackend } from '../backend.ts';
import { TrainConfigSchema } from '../config.ts';
import { train } from '../train.ts';
import { Rng } from '../../core/index.ts';
import {
  HEADING_SPEED_FLOOR,
  createEgomotion,
  stackPairs,
  type EgomotionModel,
} from './egomotion.ts';

let data = '';

beforeAll(async () => {
  // Pure head rotation (a static rig with strong jitter) over checkered floors: vertical and
  // horizontal edges everywhere, so both pitch and yaw show in a 24² image.
  const { out } = await generateTiny(
    {
      sequences: 64,
      sequences_per_shard: 16,
      frames: 6,
      fps: 10,
      width: 24,
      height: 24,
      layers: ['rgb'],
      lighting: { shadows: false },
      render: { antialias: false },
      objects: { count: [2, 4], motion: { p_moving: 0 } },
      background: { grounds: ['marble', 'tiles'] },
      camera: { jitter_deg: 6, trajectory: { kind: 'static' } },
    },
    { workers: 2 },
  );
  data = out;
  await selectBackend('wasm');
});

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

describe('egomotion', () => {
  it('stacks frame pairs as [Y_t, Y_t+1, 0.5 + ΔY] and targets the mean of each pair of rows', () => {
    const clips = tf.randomUniform([2, 3, 4, 5, 3], 0, 1, 'float32', 7) as tf.Tensor5D;
    const pairs = stackPairs(clips);
    expect(pairs.shape).toEqual([4, 4, 5, 3]);
    const c = clips.arraySync();
    const p = pairs.arraySync();
    const lum = (px: number[]) => 0.299 * px[0]! + 0.587 * px[1]! + 0.114 * px[2]!;
    // Pair 3 = clip 1, frames 1 → 2; pixel (2, 3).
    const y0 = lum(c[1]![1]![2]![3]!);
    const y1 = lum(c[1]![2]![2]![3]!);
    expect(p[3]![2]![3]![0]).toBeCloseTo(y0, 5);
    expect(p[3]![2]![3]![1]).toBeCloseTo(y1, 5);
    expect(p[3]![2]![3]![2]).toBeCloseTo(0.5 + y1 - y0, 5);

    const config = TrainConfigSchema.parse({
      objective: 'egomotion',
      steps: 1,
      egomotion: { targets: ['head_angvel', 'gravity'] },
      encoder: { width: 2, depth: 1, embedding: 4 },
    });
    const model = createEgomotion(config, new Rng(0, 'test'));
    expect(model.columns).toEqual([
      'head_angvel_x',
      'head_angvel_y',
      'head_angvel_z',
      'gravity_x',
      'gravity_y',
      'gravity_z',
    ]);
    const rows = tf.randomUniform(
      [2, 3, MOTION_COLUMNS.length],
      -1,
      1,
      'float32',
      3,
    ) as tf.Tensor3D;
    const r = rows.arraySync();
    const t = model.targets(rows).arraySync();
    expect(t[1]![0]![4]).toBeCloseTo((r[1]![0]![16]! + r[1]![1]![16]!) / 2, 6);
    expect(model.predict(clips).shape).toEqual([2, 2, 6]);
    // heading: the pair's mean head velocity, as a direction (shrunk below the speed floor).
    const hm = createEgomotion(
      TrainConfigSchema.parse({ ...config, egomotion: { targets: ['heading'] } }),
      new Rng(0, 'test'),
    );
    expect(hm.columns).toEqual(['heading_x', 'heading_y', 'heading_z']);
    const h = hm.targets(rows).arraySync();
    const v = [0, 1, 2].map((j) => (r[1]![0]![j]! + r[1]![1]![j]!) / 2);
    const speed = Math.hypot(...v);
    v.forEach((x, j) =>
      expect(h[1]![0]![j]).toBeCloseTo(x / Math.max(speed, HEADING_SPEED_FLOOR), 5),
    );
    hm.params.dispose();
    tf.dispose([clips, pairs, rows]);
    model.params.dispose();
  });

  it('lowers its loss and beats predicting the mean on held-out sequences', async () => {
    const out = await tempDir('ego');
    const result = await train({
      data,
      out,
      backend: 'wasm',
      config: {
        objective: 'egomotion',
        steps: 600,
        batch: 16,
        lr: 3e-3,
        heldOutEvery: 4,
        shuffleBuffer: 64,
        logEvery: 100,
        checkpointEvery: 1000,
        encoder: { width: 8, depth: 2, embedding: 16 },
      },
    });
    const losses = result.losses.map((l) => l.loss);
    // Standardised targets: roll and the sideways heading hardly show in 24² frames and stay
    // near 1 each, so the mean cannot fall as far as pitch and yaw do.
    expect(mean(losses.slice(-20))).toBeLessThan(0.75 * mean(losses.slice(0, 20)));
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1]!) as { step: number; r2: number[] };
    expect(last.step).toBe(600);
    expect(last.r2).toHaveLength(6);

    // Held out: every 4th sequence, never trained on. Baseline: the held-out mean itself.
    const model = result.model as EgomotionModel;
    const loader = await createLoader({
      dir: data,
      batchSize: 16,
      clipLength: 2,
      motion: true,
      heldOutEvery: 4,
      split: 'heldout',
      repeat: false,
      shuffleBuffer: 1,
    });
    const k = model.columns.length;
    const preds: number[][] = [];
    const ys: number[][] = [];
    for await (const b of loader.batches()) {
      const p = model.predict(b.left);
      const y = model.targets(b.motion!);
      preds.push(...(p.reshape([-1, k]).arraySync() as number[][]));
      ys.push(...(y.reshape([-1, k]).arraySync() as number[][]));
      tf.dispose([p, y]);
      disposeBatch(b);
    }
    expect(ys.length).toBe(16 * 5); // 16 held-out sequences × 5 frame pairs
    // R² per target group on held-out sequences, pooled over the group's columns, and per column.
    const r2 = (cols: number[]) => {
      let [sse, sst] = [0, 0];
      for (const j of cols) {
        const y = ys.map((r) => r[j]!);
        const m = mean(y);
        sse += y.reduce((a, v, i) => a + (v - preds[i]![j]!) ** 2, 0);
        sst += y.reduce((a, v) => a + (v - m) ** 2, 0);
      }
      return 1 - sse / sst;
    };
    const groups = Object.fromEntries(model.groups.map((g) => [g.name, r2(g.columns)]));
    const columns = Object.fromEntries(model.columns.map((c, j) => [c, r2([j])]));
    console.log(
      `egomotion held-out R²: ${Object.entries({ ...groups, ...columns })
        .map(([n, v]) => `${n} ${v.toFixed(3)}`)
        .join(', ')}`,
    );
    expect(Object.keys(groups)).toEqual(['heading', 'head_angvel']);
    expect(groups.heading!).toBeGreaterThan(0);
    expect(groups.head_angvel!).toBeGreaterThan(0);
    // Pitch and yaw are learnt (roll, a rotation of the image, is hard for a pooled encoder).
    expect(columns.head_angvel_x!).toBeGreaterThan(0.4);
    expect(columns.head_angvel_y!).toBeGreaterThan(0.15);

    // The training split's target statistics are part of the run.
    const prepared = JSON.parse(await readFile(join(out, 'prepared.json'), 'utf8')) as {
      target_columns: string[];
      target_std: number[];
    };
    expect(prepared.target_columns).toEqual(model.columns);
    expect(prepared.target_std.every((v) => v > 0)).toBe(true);
  });

  it('runs from the CLI; a dataset without motion signals gets a clear error', async () => {
    const out = await tempDir('ego-cli');
    const args = ['train', '--data', data, '--out', out, '--objective', 'egomotion'];
    const tiny = [
      '--steps',
      '3',
      '--batch',
      '4',
      '--width',
      '4',
      '--depth',
      '1',
      '--embedding',
      '4',
    ];
    const ok = await runCli([
      ...args,
      ...tiny,
      '--motion-targets',
      'head_angvel,gaze',
      '--backend',
      'wasm',
    ]);
    expect(ok.code).toBe(0);
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect((JSON.parse(lines[2]!) as { r2: number[] }).r2).toHaveLength(6);

    const old = await tempDir('ego-old');
    await cp(data, old, { recursive: true });
    const manifest = JSON.parse(await readFile(join(old, 'manifest.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    delete manifest.motion; // as written before motion signals existed
    await writeFile(join(old, 'manifest.json'), JSON.stringify(manifest));
    const bad = await runCli([
      'train',
      '--data',
      old,
      '--out',
      await tempDir('ego-bad'),
      '--objective',
      'egomotion',
      ...tiny,
      '--backend',
      'wasm',
    ]);
    expect(bad.code).toBe(7);
    expect(bad.err.join('\n')).toMatch(/motion\.npy/);
    expect(bad.err.join('\n')).toMatch(/regenerate/);

    // The targets come from the manifest's motion columns: a dataset whose columns lack one is
    // refused, naming it, before any step.
    const renamed = await tempDir('ego-columns');
    await cp(data, renamed, { recursive: true });
    const m = JSON.parse(await readFile(join(renamed, 'manifest.json'), 'utf8')) as {
      motion: { columns: { name: string }[] };
    };
    for (const c of m.motion.columns) c.name = c.name.replace(/^head_angvel/, 'head_spin');
    await writeFile(join(renamed, 'manifest.json'), JSON.stringify(m));
    const lacking = await runCli([
      'train',
      '--data',
      renamed,
      '--out',
      await tempDir('ego-lacking'),
      '--objective',
      'egomotion',
      ...tiny,
      '--backend',
      'wasm',
    ]);
    expect(lacking.code).toBe(bad.code);
    expect(lacking.err.join('\n')).toMatch(/MODEL_DATA_MISMATCH|targets head_angvel are not among/);
    expect(lacking.err.join('\n')).toMatch(/head_angvel/);
    expect(lacking.err.join('\n')).toMatch(/head_spin_x/);

    const usage = await runCli([
      ...args,
      ...tiny,
      '--motion-targets',
      'head_speed',
      '--backend',
      'wasm',
    ]);
    expect(usage.code).toBe(2);
    // --stride above --kernel: refused by name (tfjs-wasm computes it wrongly).
    const stride = await runCli([...args, ...tiny, '--kernel', '2', '--stride', '3']);
    expect(stride.code).toBe(2);
    expect(stride.err.join('\n')).toMatch(/--stride: must not exceed the kernel size/);
  });
});
