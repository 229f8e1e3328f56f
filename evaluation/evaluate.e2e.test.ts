/**
 * The evaluation pipeline on real rendered data (headless Chromium renders three tiny datasets once
 * for this file): a model built to look where diagnostic parts are must align better than one
 * built to look at the ground, and the ground-looking model must lose more accuracy when the
 * background–category correlation is broken. Also: a trained run end to end, resume, the report
 * in a real Chromium, and the errors users meet.
 */
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectDatadietError } from '../core/test-helpers.ts';
import { generateTiny, loadAll, tempDir, view } from '../generator/test-helpers.ts';
import type { SpecInput } from '../scenes/index.ts';
import { selectBackend, train } from '../training/index.ts';
import { Rng } from '../core/index.ts';
import {
  EvalMetricsSchema,
  acrossSeeds,
  compareModels,
  evaluateModel,
  fitCvProbe,
  loadEvalModel,
  loadProbeSet,
  probeAccuracy,
  splitIndices,
  type CompareRow,
  type EvalMetrics,
} from './index.ts';
import { extractFeatures } from './features.ts';
import {
  inspectHtml,
  maskedPoolingKernel,
  maskedPoolingModel,
  partPrior,
  saveBaseline,
  saveLinearGraphModel,
} from './test-helpers.ts';

const SIDE = 32;
const BASE: SpecInput = {
  sequences: 48,
  sequences_per_shard: 48,
  frames: 2,
  width: SIDE,
  height: SIDE,
  objects: {
    count: 1,
    motion: { p_moving: 0 },
    texture: 'category',
    // Large objects near the centre: the pixels where parts appear are mostly object, not ground.
    scale: [1.5, 1.8],
    area_radius_m: 0.3,
    categories: ['vehicle', 'chair', 'lamp', 'tree'],
  },
  camera: { trajectory: { kind: 'static' }, jitter_deg: 0 },
  lighting: { shadows: false },
  render: { antialias: false },
  layers: ['rgb', 'depth', 'seg', 'parts'],
};

let correlated = '';
let decorrelated = '';
let cueConflict = '';
let models = '';
let partModel = '';
let groundModel = '';
let partMaskSpec: Parameters<typeof maskedPoolingKernel>[0];

beforeAll(async () => {
  await selectBackend('wasm');
  const [a, b, c] = await Promise.all([
    generateTiny({ ...BASE, seed: 1, background: { category_correlation: 1 } }),
    generateTiny({ ...BASE, seed: 2, background: { category_correlation: 0 } }),
    generateTiny({
      ...BASE,
      seed: 3,
      frames: 1,
      sequences: 24,
      sequences_per_shard: 24,
      objects: { ...(BASE.objects as object), cue_conflict: 1 },
    }),
  ]);
  correlated = a.out;
  decorrelated = b.out;
  cueConflict = c.out;

  // Where diagnostic parts appear, and where no object ever is, over the correlated split.
  const set = await loadProbeSet({ dir: correlated, field: 'data', needParts: true });
  const prior = partPrior(set);
  const max = Math.max(...prior);
  const partMask = Float32Array.from(prior, (v) => (v > 0.3 * max ? v / max : 0));
  // The ground: pixels that always see a surface (not the sky) and never an object.
  const groundMask = new Float32Array(SIDE * SIDE).fill(1);
  for (const s of await loadAll(correlated)) {
    const seg = view(s.arrays.get('left.seg.npy'));
    const depth = view(s.arrays.get('left.depth.npy'));
    for (let p = 0; p < SIDE * SIDE; p++) {
      if (seg[p] !== 0 || depth[p]! >= s.json.depth_far) groundMask[p] = 0;
    }
  }
  models = await tempDir('eval-models');
  partMaskSpec = { mask: partMask, h: SIDE, w: SIDE, grid: 4 };
  partModel = await saveBaseline(maskedPoolingModel(partMaskSpec), models, 'part-looker');
  groundModel = await saveBaseline(
    maskedPoolingModel({ mask: groundMask, h: SIDE, w: SIDE, grid: 2 }),
    models,
    'ground-looker',
  );
}, 300_000);

describe('alignment and shortcut reliance on rendered data', () => {
  let part: EvalMetrics;
  let ground: EvalMetrics;
  beforeAll(async () => {
    const common = { data: correlated, decorrelated, cueConflict, seed: 5 };
    part = await evaluateModel({ ...common, model: partModel, out: join(models, 'eval-part') });
    ground = await evaluateModel({
      ...common,
      model: groundModel,
      out: join(models, 'eval-ground'),
    });
    console.log(
      `part-looker: top1 ${part.probe.top1.toFixed(2)} ρ ${part.alignment.spearman.toFixed(3)} dice ${part.alignment.dice.toFixed(2)} drop ${part.shortcut!.drop.toFixed(2)} shape ${part.shape_bias!.value}\n` +
        `ground-looker: top1 ${ground.probe.top1.toFixed(2)} ρ ${ground.alignment.spearman.toFixed(3)} dice ${ground.alignment.dice.toFixed(2)} drop ${ground.shortcut!.drop.toFixed(2)} shape ${ground.shape_bias!.value}`,
    );
  }, 300_000);

  it('scores the part-looking model as more aligned than the ground-looking one', () => {
    expect(part.alignment.images).toBeGreaterThan(5);
    expect(part.alignment.spearman).toBeGreaterThan(ground.alignment.spearman + 0.2);
    expect(part.alignment.dice).toBeGreaterThan(ground.alignment.dice);
    expect(ground.alignment.spearman).toBeLessThan(0);
  });

  it('shows the larger accuracy drop for the background-shortcut model', () => {
    expect(ground.shortcut!.correlated_top1).toBeGreaterThan(0.7);
    expect(ground.shortcut!.drop).toBeGreaterThan(part.shortcut!.drop + 0.2);
  });

  it('fits a second probe on the decorrelated split, where the ground cannot decode objects', () => {
    for (const m of [part, ground]) {
      const s = m.shortcut!;
      expect(s.decorrelated_probe_held_out).toBeGreaterThan(0);
      expect(s.decorrelated_probe_top1_ci![0]).toBeLessThanOrEqual(s.decorrelated_probe_top1!);
      expect(s.decorrelated_probe_top1_ci![1]).toBeGreaterThanOrEqual(s.decorrelated_probe_top1!);
    }
    // Refitting on decorrelated data cannot rescue a model that sees only the ground; the
    // part-looker's evidence survives it.
    const g = ground.shortcut!.decorrelated_probe_top1!;
    expect(g).toBeLessThan(ground.shortcut!.correlated_top1 - 0.2);
    expect(part.shortcut!.decorrelated_probe_top1!).toBeGreaterThan(g);
  });

  it('gives every figure a 95 % interval around it, and shape bias with its coverage', () => {
    const inside = (v: number, ci: [number, number] | null) => {
      expect(ci).not.toBeNull();
      expect(ci![0]).toBeLessThanOrEqual(v + 1e-12);
      expect(ci![1]).toBeGreaterThanOrEqual(v - 1e-12);
    };
    for (const m of [part, ground]) {
      inside(m.probe.top1, m.probe.top1_ci);
      inside(m.alignment.spearman, m.alignment.spearman_ci);
      inside(m.alignment.dice, m.alignment.dice_ci);
      inside(m.shortcut!.drop, m.shortcut!.drop_ci);
      inside(m.slowness!.delta, m.slowness!.delta_ci);
      const sb = m.shape_bias!;
      expect(sb.probe_fit).toBe('decorrelated');
      expect(sb.coverage).toBeCloseTo((sb.shape + sb.texture) / sb.cue_conflict_images, 12);
      expect(sb.data_probe).not.toBeNull();
      expect(m.probe.alpha_cv.map((a) => a.alpha)).toContain(m.probe.alpha);
      expect(m.model.readout).toBe('probe');
    }
    // The ground-looker's top-1 falls by ≥ 0.2 with a drop interval clear of 0.
    expect(ground.shortcut!.drop_ci![0]).toBeGreaterThan(0);
  });

  it('writes a metrics.json that its schema accepts, with the seed and the figures', async () => {
    const dir = join(models, 'eval-part');
    const onDisk = EvalMetricsSchema.parse(
      JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')),
    );
    expect(onDisk.seed).toBe(5);
    expect(onDisk.model.kind).toBe('baseline');
    expect(onDisk.shape_bias!.cue_conflict_images).toBeGreaterThan(10);
    const png = PNG.sync.read(await readFile(join(dir, onDisk.files.saliency[0]!)));
    expect(png.width).toBeGreaterThan(SIDE * 4);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('scores a GraphModel baseline like the LayersModel computing the same function', async () => {
    await saveLinearGraphModel({
      kernel: maskedPoolingKernel(partMaskSpec),
      h: SIDE,
      w: SIDE,
      out: 48,
      dir: join(models, 'part-graph'),
    });
    const descriptor = join(models, 'part-graph.json');
    await writeFile(
      descriptor,
      JSON.stringify({
        name: 'part-graph',
        model: 'part-graph/model.json',
        format: 'graph',
        input_size: SIDE,
        output: 'features',
      }),
    );
    const g = await evaluateModel({
      data: correlated,
      decorrelated,
      seed: 5,
      model: descriptor,
      out: join(models, 'eval-graph'),
    });
    expect(g.model.format).toBe('graph');
    expect(g.probe.top1).toBe(part.probe.top1);
    expect(g.shortcut!.drop).toBe(part.shortcut!.drop);
    expect(g.alignment.spearman).toBeCloseTo(part.alignment.spearman, 4);
  });

  it('is deterministic for a seed and reuses a finished evaluation', async () => {
    const out = join(models, 'eval-part');
    const before = (await stat(join(out, 'metrics.json'))).mtimeMs;
    const again = await evaluateModel({
      data: correlated,
      decorrelated,
      cueConflict,
      seed: 5,
      model: partModel,
      out,
    });
    expect(again).toEqual(part);
    expect((await stat(join(out, 'metrics.json'))).mtimeMs).toBe(before);
    const fresh = await evaluateModel({
      data: correlated,
      seed: 5,
      model: partModel,
      out: join(models, 'eval-part-2'),
    });
    expect(fresh.alignment).toEqual(part.alignment);
    expect(fresh.probe.top1).toBe(part.probe.top1);
  });
});

describe('trained runs, compare and the HTML report', () => {
  let supervised = '';
  let sfa: string[] = [];
  let prednet = '';
  let moving = '';
  beforeAll(async () => {
    // PredNet needs motion to be scored against copy-last-frame: an orbiting camera.
    ({ out: moving } = await generateTiny({
      ...BASE,
      width: 16,
      height: 16,
      sequences: 12,
      sequences_per_shard: 12,
      frames: 4,
      camera: { trajectory: { kind: 'orbit', speed_deg_s: [30, 60] }, jitter_deg: 0 },
    }));
    const runs = await tempDir('eval-runs');
    supervised = join(runs, 'supervised');
    prednet = join(runs, 'prednet');
    const encoder = { width: 4, depth: 2, embedding: 8 };
    await train({
      data: correlated,
      out: supervised,
      backend: 'wasm',
      config: { objective: 'supervised', steps: 3, batch: 8, encoder, checkpointEvery: 3 },
    });
    // Two seeds of one SFA recipe, to be pooled by compare.
    sfa = [join(runs, 'sfa-s0'), join(runs, 'sfa-s1')];
    for (const [seed, out] of sfa.entries()) {
      await train({
        data: moving,
        out,
        backend: 'wasm',
        config: {
          objective: 'sfa',
          steps: 2,
          batch: 4,
          clip: 2,
          encoder,
          checkpointEvery: 2,
          seed,
        },
      });
    }
    await train({
      data: moving,
      out: prednet,
      backend: 'wasm',
      config: {
        objective: 'prednet',
        steps: 2,
        batch: 2,
        clip: 4,
        prednet: { channels: [3, 4] },
        checkpointEvery: 2,
      },
    });
  }, 300_000);

  it('reads a supervised and an SFA run through the same probe, with the own head apart', async () => {
    const out = await tempDir('eval-sup');
    const sup = await evaluateModel({ model: supervised, data: correlated, out, maxSamples: 24 });
    const sf = await evaluateModel({
      model: sfa[0]!,
      data: correlated,
      out: join(out, 'sfa'),
      maxSamples: 24,
    });
    for (const [m, path] of [
      [sup, supervised],
      [sf, sfa[0]!],
    ] as const) {
      expect(m.model.readout).toBe('probe');
      expect(m.model.pooling).toContain('global average');
      // The main top-1 is the probe's on this model's features, recomputed here by hand: the same
      // split, α by the same inner CV, the same held-out rows.
      const model = await loadEvalModel(path);
      const set = await loadProbeSet({ dir: correlated, field: 'data', maxSamples: 24 });
      const f = await extractFeatures({ ...set, features: (x) => model.features(x) });
      model.dispose();
      const rng = new Rng(0, 'evaluate');
      const split = splitIndices({
        labels: set.labels,
        heldOutFraction: 0.3,
        rng: rng.fork('probe-split'),
      });
      const { probe } = fitCvProbe({
        features: f.data,
        dim: f.dim,
        labels: set.labels,
        idx: split.fit,
        numClasses: set.categories.length,
        rng: rng.fork('alpha-cv'),
      });
      expect(m.probe.alpha).toBe(probe.alpha);
      expect(m.probe.top1).toBe(probeAccuracy(probe, f.data, set.labels, split.heldOut));
      expect(m.probe.held_out).toBe(split.heldOut.length);
    }
    expect(sup.probe.held_out).toBe(sf.probe.held_out);
    // Only the supervised run has a head over these categories; it is reported apart.
    expect(sup.own_head).not.toBeNull();
    expect(sup.own_head!.classes).toBe(sup.data.categories.length);
    expect(sup.own_head!.top1_ci).not.toBeNull();
    expect(sf.own_head).toBeNull();
    expect(sup.data.samples).toBe(24);
    expect(sf.slowness!.sequences).toBe(24);
    const pn = await evaluateModel({
      model: prednet,
      data: moving,
      out: join(out, 'pn'),
      maxSamples: 16,
      smoothgrad: { n: 2, sigma: 0.05 },
    });
    expect(pn.model.objective).toBe('prednet');
    expect(pn.prediction!.clips).toBeGreaterThan(0);
    expect(pn.prediction!.copy_last_mse).toBeGreaterThan(0);
    expect(pn.prediction!.mse).toBeGreaterThan(0);
    // Per step: t = 1…3 for 4-frame clips; their mean is the overall MSE.
    expect(pn.prediction!.mse_per_t).toHaveLength(3);
    const perT = pn.prediction!.mse_per_t;
    expect(perT.reduce((a, b) => a + b, 0) / perT.length).toBeCloseTo(pn.prediction!.mse, 6);
    expect(pn.prediction!.ssim_window).toContain('σ = 1.5');
    expect(pn.files.prediction).toEqual(['prediction.png']);
    const png = PNG.sync.read(await readFile(join(out, 'pn', 'prediction.png')));
    expect(png.height).toBeGreaterThan(16);
  }, 120_000);

  it('compares models into a report that opens in Chromium, pooling seeds and drawing intervals', async () => {
    const out = await tempDir('eval-cmp');
    const r = await compareModels({
      models: [partModel, groundModel, supervised, prednet, ...sfa],
      names: ['part-looker', 'ground-looker', 'supervised', 'prednet', 'SFA', 'SFA'],
      data: correlated,
      decorrelated,
      cueConflict,
      out,
      maxSamples: 32,
      seed: 1,
    });
    expect(r.rows.map((x) => x.name)).toEqual([
      'part-looker',
      'ground-looker',
      'supervised',
      'prednet',
      'SFA',
    ]);
    const pooled = r.rows[4]!;
    expect(pooled.seeds).toBe(2);
    expect(r.table).toContain('part-looker');
    expect(r.table).toMatch(/\[[-0-9.]+, [-0-9.]+\]/);
    const csv = await readFile(join(out, 'table.csv'), 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(6);
    expect(csv.split('\n')[0]).toContain('probe_top1,probe_top1_lo,probe_top1_hi');
    const json = JSON.parse(await readFile(join(out, 'table.json'), 'utf8')) as {
      rows: CompareRow[];
      runs: CompareRow[];
    };
    expect(json.rows).toHaveLength(5);
    expect(json.runs).toHaveLength(6);
    // The pooled row: the mean of its two runs, with the Student-t interval across them.
    const [a, b] = json.runs.slice(4).map((x) => x.probe_top1!);
    expect(pooled.probe_top1).toBeCloseTo((a! + b!) / 2, 12);
    expect(pooled.ci.probe_top1).toEqual(acrossSeeds([a!, b!]).interval);
    expect(json.rows[0]!.ci.alignment_rho).not.toBeNull();
    const html = await readFile(r.reportPath, 'utf8');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('data:image/png;base64,');
    expect(html).toContain('Training curves');
    expect(html).toContain('Next-frame prediction');
    expect(html).toMatch(/intervals of [^<]* (overlap|do not overlap)/);
    expect(html).toContain('class="whisker"');
    expect(html).toContain('Runs pooled above');

    const { problems } = await inspectHtml(r.reportPath, async (page) => {
      const labels = await page.$$eval('#scatter text', (ts) => ts.map((t) => t.textContent));
      for (const n of ['part-looker', 'ground-looker', 'supervised', 'prednet', 'SFA'])
        expect(labels).toContain(n);
      const circles = await page.$$eval('#scatter circle', (cs) => cs.length);
      expect(circles).toBe(5);
      const bars = await page.$$eval('#scatter line.errorbar', (ls) => ls.length);
      expect(bars).toBeGreaterThanOrEqual(8);
      const el = await page.$('#scatter');
      const shot = PNG.sync.read(
        Buffer.from((await el!.screenshot({ type: 'png' })) as Uint8Array),
      );
      // Non-blank: many distinct colours (axes, grid, coloured points, labels).
      const colours = new Set<number>();
      for (let i = 0; i < shot.data.length; i += 4) {
        colours.add((shot.data[i]! << 16) | (shot.data[i + 1]! << 8) | shot.data[i + 2]!);
      }
      expect(shot.width).toBeGreaterThan(300);
      expect(colours.size).toBeGreaterThan(20);
      const imagesOk = await page.$$eval('img', (is) =>
        is.every(
          (i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0,
        ),
      );
      expect(imagesOk).toBe(true);
    });
    expect(problems).toEqual([]);
  }, 300_000);
});

describe('errors', () => {
  it('names a missing model, an invalid descriptor and a model/data shape mismatch, writing nothing', async () => {
    const dir = await tempDir('eval-err');
    const out = join(dir, 'out');
    await expectDatadietError(
      evaluateModel({ model: join(dir, 'nope'), data: correlated, out }),
      'MODEL_NOT_FOUND',
    );
    await expectDatadietError(
      evaluateModel({ model: dir, data: correlated, out }),
      'MODEL_NOT_FOUND',
    );
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ name: 'x', model: 'part-looker/model.json' }));
    const e = await expectDatadietError(
      evaluateModel({ model: bad, data: correlated, out }),
      'BASELINE_INVALID',
    );
    expect(e.message).toContain('input_size');
    const wrongSize = join(models, 'wrong-size.json');
    await writeFile(
      wrongSize,
      JSON.stringify({ name: 'x', model: 'part-looker/model.json', input_size: 64 }),
    );
    await expectDatadietError(
      evaluateModel({ model: wrongSize, data: correlated, out }),
      'MODEL_DATA_MISMATCH',
    );
    await expectDatadietError(
      evaluateModel({ model: partModel, data: join(dir, 'none'), out }),
      'DATASET_NOT_FOUND',
    );
    await expect(stat(out)).rejects.toThrow();
  });

  it('refuses data without part maps, and cue-conflict data without conflicts', async () => {
    const { out: noParts } = await generateTiny({
      ...BASE,
      sequences: 4,
      sequences_per_shard: 4,
      frames: 1,
      layers: ['rgb', 'seg'],
    });
    const out = join(await tempDir('eval-err2'), 'out');
    const e = await expectDatadietError(
      evaluateModel({ model: partModel, data: noParts, out }),
      'EVAL_DATA_UNUSABLE',
    );
    expect(e.message).toContain("no 'parts' layer");
    await expectDatadietError(
      evaluateModel({ model: partModel, data: correlated, cueConflict: decorrelated, out }),
      'EVAL_DATA_UNUSABLE',
    );
    await expect(stat(out)).rejects.toThrow();
  }, 120_000);
});
