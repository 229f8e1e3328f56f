/**
 * `datadiet evaluate` and `datadiet compare` in-process (runCli) on a tiny rendered dataset and a
 * tiny supervised run trained through the CLI: outputs, resume, and the errors users meet.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateTiny, tempDir } from '../generator/test-helpers.ts';
import { EvalMetricsSchema } from '../evaluation/index.ts';
import { writeSquareClickMe } from '../evaluation/test-helpers.ts';
import { runCli } from './test-helpers.ts';

let data = '';
let run = '';
let work = '';

beforeAll(async () => {
  ({ out: data } = await generateTiny({
    seed: 4,
    sequences: 16,
    sequences_per_shard: 16,
    frames: 2,
    width: 16,
    height: 16,
    objects: {
      count: 1,
      motion: { p_moving: 0 },
      scale: [1.5, 1.8],
      area_radius_m: 0.3,
      categories: ['vehicle', 'chair'],
    },
    camera: { trajectory: { kind: 'static' }, jitter_deg: 0 },
    lighting: { shadows: false },
    render: { antialias: false },
    layers: ['rgb', 'seg', 'parts'],
  }));
  work = await tempDir('cli-eval');
  run = join(work, 'run');
  const r = await runCli([
    'train',
    '--data',
    data,
    '--out',
    run,
    '--objective',
    'supervised',
    '--steps',
    '2',
    '--batch',
    '4',
    '--width',
    '4',
    '--depth',
    '2',
    '--embedding',
    '8',
    '--backend',
    'wasm',
  ]);
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
}, 300_000);

describe('datadiet evaluate', () => {
  it('evaluates a run, prints a summary and writes metrics.json and the saliency figure', async () => {
    const out = join(work, 'eval');
    const r = await runCli([
      'evaluate',
      '--model',
      run,
      '--data',
      data,
      '--out',
      out,
      '--seed',
      '3',
      '--backend',
      'wasm',
      '--smoothgrad',
      '2',
      '--smoothgrad-sigma',
      '0.05',
    ]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/probe top-1: \d\.\d{3}/);
    expect(r.out.join('\n')).toMatch(
      /alignment with diagnostic parts \(probe saliency\): Spearman ρ -?\d\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\]/,
    );
    expect(r.out.join('\n')).toMatch(/own head \(apart\): top-1 \d\.\d{3}/);
    const m = EvalMetricsSchema.parse(
      JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')),
    );
    expect(m.seed).toBe(3);
    expect(m.inputs.smoothgrad).toEqual({ n: 2, sigma: 0.05 });
    expect(m.model.objective).toBe('supervised');
    expect((await stat(join(out, 'saliency.png'))).size).toBeGreaterThan(100);
  }, 120_000);

  it('adds ClickMe alignment with --clickme, through the k-fold probe', async () => {
    const clickme = join(work, 'clickme');
    await writeSquareClickMe(clickme, 10);
    const out = join(work, 'eval-clickme');
    const r = await runCli([
      'evaluate',
      '--model',
      run,
      '--data',
      data,
      '--clickme',
      clickme,
      '--out',
      out,
      '--backend',
      'wasm',
    ]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(
      /ClickMe: ρ -?\d\.\d{3} = -?\d\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\] of the human ceiling \(10 of 10 images scored; 5-fold linear probe/,
    );
    const m = EvalMetricsSchema.parse(
      JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')),
    );
    expect(m.clickme!.folds).toBe(5);
    expect(m.files.saliency).toContain('saliency-clickme.png');
    expect((await stat(join(out, 'saliency-clickme.png'))).size).toBeGreaterThan(1000);
  }, 180_000);

  it('exits with a code and one line for user mistakes', async () => {
    const out = join(work, 'never');
    const missing = await runCli([
      'evaluate',
      '--model',
      join(work, 'nope'),
      '--data',
      data,
      '--out',
      out,
    ]);
    expect(missing.code).toBe(7);
    expect(missing.err).toHaveLength(1);
    expect(missing.err[0]).toMatch(/^error\[MODEL_NOT_FOUND\]: .*\(fix: /);
    const noData = await runCli([
      'evaluate',
      '--model',
      run,
      '--data',
      join(work, 'nodata'),
      '--out',
      out,
    ]);
    expect(noData.code).toBe(6);
    expect(noData.err[0]).toMatch(/^error\[DATASET_NOT_FOUND\]/);
    const usage = await runCli(['evaluate', '--model', run, '--out', out]);
    expect(usage.code).toBe(2);
    const sigma = await runCli([
      'evaluate',
      '--model',
      run,
      '--data',
      data,
      '--out',
      out,
      '--smoothgrad-sigma',
      '0.1',
    ]);
    expect(sigma.code).toBe(2);
    expect(sigma.err[0]).toMatch(/CLI_USAGE/);
    await expect(stat(out)).rejects.toThrow();
  }, 60_000);
});

describe('datadiet compare', () => {
  it('writes the table, CSV, JSON and report, and reuses finished evaluations on a rerun', async () => {
    const out = join(work, 'cmp');
    const argv = [
      'compare',
      '--models',
      `${run},${join(run, 'checkpoints', 'step-00000002')}`,
      '--names',
      'latest,step2',
      '--data',
      data,
      '--out',
      out,
      '--backend',
      'wasm',
    ];
    const r = await runCli(argv);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text).toMatch(/^model\s+seeds\s+features\s+probe top-1/m);
    expect(text).toMatch(/^latest\s+1\s+\d+\s+\d\.\d{3} \[/m);
    expect(text).toContain(`report: ${join(out, 'report.html')}`);
    // The same checkpoint twice: identical numbers.
    const rows = (
      JSON.parse(await readFile(join(out, 'table.json'), 'utf8')) as {
        rows: { probe_top1: number; alignment_rho: number }[];
      }
    ).rows;
    expect(rows[0]!.alignment_rho).toBe(rows[1]!.alignment_rho);
    const before = (await stat(join(out, 'models', 'latest', 'metrics.json'))).mtimeMs;
    const again = await runCli(argv);
    expect(again.code).toBe(0);
    expect((await stat(join(out, 'models', 'latest', 'metrics.json'))).mtimeMs).toBe(before);
    const bad = await runCli([
      'compare',
      '--models',
      run,
      '--names',
      'a,b',
      '--data',
      data,
      '--out',
      out,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toMatch(/--names gives 2 names for 1 models/);
  }, 180_000);
});
