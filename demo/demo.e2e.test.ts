/**
 * `datadiet demo` at a tiny size, through the CLI: real Chromium renders, real tfjs-wasm training,
 * real evaluation. Checks every artefact (datasets verify, checkpoints, metrics against their zod
 * schema, PNGs decode, the HTML report renders without console errors), then that a rerun reuses
 * every stage without touching its outputs, and that a changed size is refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/test-helpers.ts';
import { isDatadietError, projectRoot } from '../core/index.ts';
import { EvalMetricsSchema } from '../evaluation/index.ts';
import { inspectHtml } from '../evaluation/test-helpers.ts';
import { tempDir } from '../generator/test-helpers.ts';
import { verifyDataset } from '../output/index.ts';
import {
  datasetSeed,
  planDemo,
  stepFactor,
  DEMO_FILE,
  MODEL_NAMES,
  type DemoRecord,
} from './index.ts';

const TINY = ['--size', '16', '--sequences', '12', '--steps', '3'];
const ROLES = ['diet', 'probe', 'decorrelated', 'cue-conflict'] as const;
const RUNS = ['sfa', 'prednet', 'supervised'] as const;

async function filesUnder(dir: string, suffix: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p, suffix)));
    else if (e.name.endsWith(suffix)) out.push(p);
  }
  return out.sort();
}

/** Modification times of everything a stage writes except the report (which is rewritten). */
async function workMtimes(out: string): Promise<Map<string, number>> {
  const files = [
    ...(await filesUnder(join(out, 'data'), '')),
    ...(await filesUnder(join(out, 'runs'), '')),
    ...(await filesUnder(join(out, 'report', 'models'), '')),
  ];
  return new Map(await Promise.all(files.map(async (f) => [f, (await stat(f)).mtimeMs] as const)));
}

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

const readRecord = async (out: string) =>
  JSON.parse(await readFile(join(out, DEMO_FILE), 'utf8')) as DemoRecord;

describe('planDemo', () => {
  it('derives distinct, reproducible dataset seeds from --seed and validates the flags', () => {
    const a = planDemo({ out: 'x' });
    const seeds = a.datasets.map((d) => d.overrides.seed);
    expect(new Set(seeds).size).toBe(4);
    expect(planDemo({ out: 'y' }).datasets.map((d) => d.overrides.seed)).toEqual(seeds);
    expect(planDemo({ out: 'x', seed: 1 }).datasets[0]!.overrides.seed).not.toBe(seeds[0]);
    expect(seeds[0]).toBe(datasetSeed(0, 'diet'));
    expect(a.runs.map((r) => r.objective)).toEqual([...RUNS]);
    expect(a.runs.map((r) => r.config.steps / a.options.steps)).toEqual([1, 2, 1]);
    let caught: unknown;
    try {
      planDemo({ out: 'x', size: 3 });
    } catch (e) {
      caught = e;
    }
    // The library names its field; the CLI names the flag (cli/flags.test.ts).
    expect(isDatadietError(caught) && caught.code).toBe('CONFIG_INVALID');
    expect((caught as Error).message).toMatch(/^size: /);
  });
});

describe('datadiet demo (tiny)', () => {
  let out: string;
  let first: Awaited<ReturnType<typeof runCli>>;
  let firstSeconds: number;

  beforeAll(async () => {
    out = join(await tempDir('demo'), 'demo');
    const t0 = performance.now();
    first = await runCli(['demo', '--out', out, ...TINY]);
    firstSeconds = (performance.now() - t0) / 1000;
  }, 600_000);

  it('runs every stage and prints the summary table and the report path', () => {
    expect(first.err).toEqual([]);
    expect(first.code).toBe(0);
    const text = first.out.join('\n');
    for (const name of Object.values(MODEL_NAMES))
      expect(text).toMatch(new RegExp(`^${name}\\s`, 'm'));
    expect(text).toContain(`report: ${join(out, 'report', 'report.html')}`);
    expect(text).toMatch(/8 stages \(8 ran, 0 reused\)/);
  });

  it('records versions, seed, sizes and every stage with its wall time in demo.json', async () => {
    const r = await readRecord(out);
    expect(r.format).toBe('datadiet-demo/1.0');
    expect(r.seed).toBe(0);
    expect(r.options).toMatchObject({ size: 16, sequences: 12, steps: 3, seed: 0 });
    expect(r.versions.datadiet).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.versions.tfjs).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.backend?.name).toBeTruthy();
    expect(r.browser).toMatch(/chrom/i);
    // The WebGL renderer `--gl auto` found, as the page reported it.
    expect(r.renderer?.renderer).toMatch(/^ANGLE \(/);
    expect(['swiftshader', 'egl', 'vulkan']).toContain(r.renderer?.gl);
    expect(r.stages.map((s) => s.name)).toEqual([
      ...ROLES.map((d) => `generate ${d}`),
      ...RUNS.map((n) => `train ${n}`),
      'evaluate',
    ]);
    for (const s of r.stages) {
      expect(s.status).toBe('ran');
      expect(s.seconds).toBeGreaterThan(0);
      expect(s.ran_seconds).toBe(s.seconds);
      expect(s.cpu_seconds).toBeGreaterThanOrEqual(0);
      if (s.kind !== 'generate') expect(s.cpu_seconds).toBeGreaterThan(0); // tfjs runs in-process
    }
    const sum = r.stages.reduce((a, s) => a + s.seconds, 0);
    expect(r.total_seconds).toBeCloseTo(sum, 1);
    expect(r.total_seconds).toBeLessThanOrEqual(firstSeconds + 1);
    expect(r.table?.map((row) => row.name)).toEqual(Object.values(MODEL_NAMES));
    // The dataset seeds in demo.json are the ones the manifests hold.
    for (const d of ROLES) {
      const stage = r.stages.find((s) => s.name === `generate ${d}`)!;
      const manifest = JSON.parse(await readFile(join(out, 'data', d, 'manifest.json'), 'utf8'));
      expect(stage.details.seed).toBe(datasetSeed(0, d));
      expect(manifest.seed).toBe(datasetSeed(0, d));
    }
  });

  it('writes four datasets that verify against their manifests', async () => {
    for (const d of ROLES) {
      const report = await verifyDataset(join(out, 'data', d));
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.samples).toBe(12);
    }
  });

  it('trains three runs to the requested step with checkpoints, metrics and loss curves', async () => {
    for (const n of RUNS) {
      const run = join(out, 'runs', n);
      const steps = 3 * stepFactor(n);
      const model = JSON.parse(
        await readFile(join(run, 'checkpoints', `step-0000000${steps}`, 'model.json'), 'utf8'),
      );
      expect(model.modelTopology.objective).toBe(n);
      expect(model.modelTopology.step).toBe(steps);
      const lines = (await readFile(join(run, 'metrics.jsonl'), 'utf8')).trim().split('\n');
      const losses = lines.map((l) => (JSON.parse(l) as { loss: number }).loss);
      expect(losses).toHaveLength(steps);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(await readFile(join(run, 'loss.svg'), 'utf8')).toMatch(/^<svg/);
    }
  });

  it('writes metrics that match the evaluation schema, and images that decode', async () => {
    for (const name of Object.values(MODEL_NAMES)) {
      const json = JSON.parse(
        await readFile(join(out, 'report', 'models', name, 'metrics.json'), 'utf8'),
      );
      const m = EvalMetricsSchema.parse(json);
      expect(m.seed).toBe(0);
      expect(m.probe.top1).toBeGreaterThanOrEqual(0);
      expect(m.probe.top1).toBeLessThanOrEqual(1);
      expect(Number.isFinite(m.alignment.spearman)).toBe(true);
      expect(m.shortcut?.decorrelated_top1).toBeTypeOf('number');
      expect(m.shape_bias).not.toBeNull();
      if (name === 'PredNet') expect(m.prediction?.mse).toBeGreaterThan(0);
      else expect(m.prediction ?? null).toBeNull();
    }
    const table = JSON.parse(await readFile(join(out, 'report', 'table.json'), 'utf8'));
    expect(table.rows).toHaveLength(3);
    const pngs = [
      ...(await filesUnder(join(out, 'report'), '.png')),
      ...(await filesUnder(join(out, 'data'), '.png')),
    ];
    expect(pngs.filter((p) => p.endsWith('saliency.png'))).toHaveLength(3);
    expect(pngs.filter((p) => p.endsWith('prediction.png'))).toHaveLength(1);
    expect(pngs.filter((p) => p.includes('previews'))).toHaveLength(8);
    for (const p of pngs) {
      const img = PNG.sync.read(await readFile(p));
      expect(img.width * img.height, p).toBeGreaterThan(0);
    }
  });

  it('writes a self-contained report that renders in headless Chromium without errors', async () => {
    const reportPath = join(out, 'report', 'report.html');
    const { problems } = await inspectHtml(reportPath, async (page) => {
      const labels = await page.$$eval('#scatter text', (ts) => ts.map((t) => t.textContent));
      for (const name of Object.values(MODEL_NAMES)) expect(labels).toContain(name);
      expect(await page.$$eval('#scatter circle', (cs) => cs.length)).toBe(3);
      const images = await page.$$eval('img', (is) =>
        is.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0),
      );
      expect(images.length).toBeGreaterThan(0);
      expect(images.every(Boolean)).toBe(true);
    });
    expect(problems).toEqual([]);
  });

  it.skipIf(!hasNumpy)('README: the Python snippet reads a sample of the demo diet', async () => {
    const readme = await readFile(join(projectRoot(), 'README.md'), 'utf8');
    // The README's one Python snippet that reads the demo's output (others read a user's data).
    const snippets = [...readme.matchAll(/```python\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .filter((s) => s.includes('out/demo/'));
    expect(snippets).toHaveLength(1);
    // The snippet reads out/demo/…: run it where out/demo is this test's demo folder.
    const cwd = await tempDir('demo-py');
    await mkdir(join(cwd, 'out'));
    await symlink(out, join(cwd, 'out', 'demo'));
    const py = spawnSync('python3', ['-'], { cwd, input: snippets[0], encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    expect(py.stdout).toMatch(/^seq-00000000 \(8, 16, 16, 3\) /);
  });

  it('reuses every stage on a rerun without rewriting datasets, checkpoints or metrics', async () => {
    const before = await workMtimes(out);
    const rerun = await runCli(['demo', '--out', out, ...TINY]);
    expect(rerun.err).toEqual([]);
    expect(rerun.code).toBe(0);
    expect(rerun.out.join('\n')).toMatch(/8 stages \(0 ran, 8 reused\)/);
    const r = await readRecord(out);
    for (const s of r.stages) {
      expect(s.status).toBe('reused');
      expect(s.ran_seconds).toBeGreaterThan(0); // the first run's wall time, carried over
    }
    const after = await workMtimes(out);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [f, t] of before) expect(after.get(f), f).toBe(t);
  });

  it('after losing one run, redoes only that run and its evaluation', async () => {
    await rm(join(out, 'runs', 'supervised'), { recursive: true });
    const before = await workMtimes(out);
    const rerun = await runCli(['demo', '--out', out, ...TINY]);
    expect(rerun.code).toBe(0);
    const r = await readRecord(out);
    const ran = r.stages.filter((s) => s.status === 'ran').map((s) => s.name);
    expect(ran).toEqual(['train supervised', 'evaluate']);
    const after = await workMtimes(out);
    // Datasets and the other runs' files are untouched; SFA's and PredNet's metrics are reused.
    for (const [f, t] of before) {
      if (!f.includes(join('models', 'supervised'))) expect(after.get(f), f).toBe(t);
    }
  });

  it('--stream trains every run on a stream of the diet; no diet on disk; not resumable without it', async () => {
    // The evaluation splits are the same datasets (same fingerprints): reused, not rendered again.
    const fresh = join(await tempDir('demo-stream'), 'demo');
    await mkdir(join(fresh, 'data'), { recursive: true });
    for (const d of ROLES.slice(1)) await symlink(join(out, 'data', d), join(fresh, 'data', d));
    const r = await runCli(['demo', '--out', fresh, ...TINY, '--stream']);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/train sfa on a stream of shortcut-correlated/);
    const rec = await readRecord(fresh);
    expect(rec.options.stream).toBe(true);
    expect(rec.datasets.find((d) => d.name === 'diet')).toMatchObject({
      streamed: true,
      dir: null,
    });
    expect(rec.stages.map((s) => `${s.name}:${s.status}`)).toEqual([
      ...ROLES.slice(1).map((d) => `generate ${d}:reused`),
      ...RUNS.map((n) => `train ${n}:ran`),
      'evaluate:ran',
    ]);
    await expect(stat(join(fresh, 'data', 'diet'))).rejects.toThrow(/ENOENT/);
    for (const n of RUNS) {
      const run = JSON.parse(await readFile(join(fresh, 'runs', n, 'run.json'), 'utf8'));
      expect(run.data.stream.spec.seed).toBe(datasetSeed(0, 'diet'));
      expect(run.position.sequence).toBeGreaterThan(0);
    }
    expect(rec.table?.map((row) => row.name)).toEqual(Object.values(MODEL_NAMES));
    const again = await runCli(['demo', '--out', fresh, ...TINY]);
    expect(again.code).toBe(3);
    expect(again.err.join('\n')).toMatch(/OUT_DIR_MISMATCH.*--stream true/);
  }, 300_000);

  it('refuses to resume a demo folder with a different --size, naming the flag', async () => {
    const r = await runCli(['demo', '--out', out, ...TINY.slice(2), '--size', '24']);
    expect(r.code).toBe(3);
    expect(r.err.join('\n')).toMatch(/OUT_DIR_MISMATCH.*--size 16/);
  });

  it('stops with the browser error when no browser can be found, before any stage', async () => {
    const fresh = join(await tempDir('demo-nobrowser'), 'demo');
    const r = await runCli(['demo', '--out', fresh, ...TINY, '--browser', '/nonexistent/chromium']);
    expect(r.code).toBe(4);
    expect(r.err.join('\n')).toMatch(/BROWSER_NOT_FOUND/);
    expect(r.err.join('\n')).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    await expect(stat(join(fresh, DEMO_FILE))).rejects.toThrow(/ENOENT/);
  });
});
