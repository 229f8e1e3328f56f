/**
 * `datadiet study` at the tiny scale through the CLI: real Chromium renders, real tfjs-wasm
 * training of every objective for two seeds, real evaluation. One study runs through; a second
 * is killed (SIGKILL, mid-training) and rerun, and must resume — reusing what was finished — and
 * end with the same table as the uninterrupted one. Bad options fail naming the field (the CLI: a CLI_USAGE naming the flag).
 */
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/test-helpers.ts';
import { isDatadietError, projectRoot, tempDir } from '../core/index.ts';
import { planStudy, STUDY_FILE, STUDY_OBJECTIVES, type StudyRecord } from './index.ts';

const TINY = ['--scale', 'tiny', '--seeds', '2'];
const readRecord = async (out: string) =>
  JSON.parse(await readFile(join(out, STUDY_FILE), 'utf8')) as StudyRecord;
const readRows = async (out: string) =>
  (JSON.parse(await readFile(join(out, 'report', 'table.json'), 'utf8')) as { rows: unknown[] })
    .rows;

function configError(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    expect(isDatadietError(e) && e.code).toBe('CONFIG_INVALID');
    return e as Error;
  }
  throw new Error('expected a CONFIG_INVALID error');
}

describe('planStudy', () => {
  it('plans every objective for each seed, pooled by name, and refuses bad flags by name', () => {
    const p = planStudy({ out: 'x' });
    expect(p.options.scale).toBe('default');
    expect(p.options.seeds).toBe(5);
    expect(p.options.diet).toBe('shortcut-correlated');
    expect(p.runs).toHaveLength(STUDY_OBJECTIVES.length * p.options.seeds);
    expect(new Set(p.runs.map((r) => r.dir)).size).toBe(p.runs.length);
    for (const { objective, name } of STUDY_OBJECTIVES) {
      const runs = p.runs.filter((r) => r.objective === objective);
      expect(runs.map((r) => r.seed)).toEqual([0, 1, 2, 3, 4]);
      expect(runs.every((r) => r.display === name)).toBe(true);
    }
    expect(p.runs.find((r) => r.objective === 'sfa-linear')!.config.steps).toBe(1);
    expect(p.runs.find((r) => r.objective === 'sfa')!.config.steps).toBe(p.sizes.steps);
    expect(p.runs.find((r) => r.objective === 'prednet')!.config.steps).toBe(2 * p.sizes.steps);
    expect(p.runs.every((r) => r.config.encoder === undefined)).toBe(true);
    // --antialias blur-pools the shared encoder; PredNet has its own conv stack.
    const aa = planStudy({ out: 'x', scale: 'tiny', seeds: 1, antialias: true });
    for (const r of aa.runs) {
      expect(r.config.encoder).toEqual(r.objective === 'prednet' ? undefined : { antialias: true });
    }
    // The diet and probe split come from --diet; the evaluation splits are fixed presets.
    const q = planStudy({ out: 'x', diet: 'objects-orbit', scale: 'tiny', seeds: 1 });
    expect(q.datasets.map((d) => d.preset)).toEqual([
      'objects-orbit',
      'objects-orbit',
      'shortcut-decorrelated',
      'cue-conflict',
    ]);
    expect(q.datasets[0]!.overrides.camera).toEqual({
      fov_y_deg: 30,
      gaze: { target: 'objects' },
    });
    expect(configError(() => planStudy({ out: 'x', scale: 'huge' as never })).message).toMatch(
      /^scale: /,
    );
    expect(configError(() => planStudy({ out: 'x', diet: 'nope' })).message).toMatch(/^diet: /);
    expect(configError(() => planStudy({ out: 'x', seeds: 0 })).message).toMatch(/^seeds: /);
  });
});

describe('datadiet study flags', () => {
  it('refuses a bad flag in one line naming it, exit 2, before any work', async () => {
    const out = join(await tempDir('study-bad'), 'study');
    const r = await runCli(['study', '--out', out, '--scale', 'huge']);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/CLI_USAGE.*--scale.*tiny\|default\|workstation\|gpu/);
    await expect(stat(out)).rejects.toThrow();
  });
});

describe('datadiet study (tiny)', () => {
  let out: string;
  let first: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    out = join(await tempDir('study'), 'study');
    first = await runCli(['study', '--out', out, ...TINY]);
  }, 300_000);

  it('trains every objective for two seeds and writes a comparison pooling them', async () => {
    expect(first.err.join('\n')).not.toMatch(/internal error/);
    expect(first.code).toBe(0);
    const record = await readRecord(out);
    expect(record.stages).toHaveLength(4 + STUDY_OBJECTIVES.length * 2 + 1);
    expect(record.stages.every((s) => s.status === 'ran')).toBe(true);
    const rows = record.table!;
    expect(rows.map((r) => r.name)).toEqual(STUDY_OBJECTIVES.map((o) => o.name));
    for (const r of rows) {
      expect(r.seeds).toBe(2);
      expect(r.probe_top1).toBeTypeOf('number');
      expect(r.decorrelated_probe_top1).toBeTypeOf('number');
    }
    // PredNet is read at its R units: 3 + 16 features at the default channels.
    expect(rows.find((r) => r.name === 'PredNet')!.pooling).toMatch(/R map/);
    const f = record.object_fraction!;
    expect(f.sequences).toBe(16);
    expect(f.mean).toBeGreaterThan(0);
    expect(f.mean).toBeLessThan(1);
  });

  it('writes results.md labelled as a smoke run, with its figures and one paragraph per question', async () => {
    const md = await readFile(join(out, 'results.md'), 'utf8');
    expect(md).toMatch(/SMOKE RUN/);
    expect(md).toMatch(/datadiet study --out .* --scale tiny/);
    expect(md).toMatch(/Object pixel fraction/);
    for (const q of [
      'objects, or the ground',
      'most aligned',
      'trade off',
      'shortcut',
      'Shape or texture',
    ])
      expect(md).toContain(q);
    for (const svg of ['accuracy-alignment.svg', 'shortcut.svg', 'shape-bias.svg']) {
      expect(md).toContain(`figures/${svg}`);
      const text = await readFile(join(out, 'figures', svg), 'utf8');
      expect(text.startsWith('<svg')).toBe(true);
    }
  });

  it('reuses every dataset, run and evaluation when rerun', async () => {
    const before = await readRows(out);
    const again = await runCli(['study', '--out', out, ...TINY]);
    expect(again.code).toBe(0);
    const record = await readRecord(out);
    expect(record.stages.filter((s) => s.status !== 'reused').map((s) => s.name)).toEqual([]);
    expect(await readRows(out)).toEqual(before);
  });

  it('resumes a killed study and ends with the same table', async () => {
    const out2 = join(await tempDir('study-kill'), 'study');
    const child = spawn(
      process.execPath,
      [join(projectRoot(), 'bin', 'datadiet.js'), 'study', '--out', out2, ...TINY],
      { stdio: 'ignore', detached: true },
    );
    // Kill it once some, but not all, runs have been trained.
    const killedAt = await new Promise<number>((res, rej) => {
      const t = setInterval(() => {
        readRecord(out2).then(
          (r) => {
            if (r.stages.length >= 7) {
              clearInterval(t);
              process.kill(-child.pid!, 'SIGKILL');
              res(r.stages.length);
            }
          },
          () => {},
        );
      }, 100);
      child.on('exit', () => {
        clearInterval(t);
        rej(new Error('the study finished before it could be killed'));
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(killedAt).toBeLessThan(4 + STUDY_OBJECTIVES.length * 2);
    await expect(stat(join(out2, 'results.md'))).rejects.toThrow();
    const again = await runCli(['study', '--out', out2, ...TINY]);
    expect(again.code).toBe(0);
    const record = await readRecord(out2);
    const reused = record.stages.filter((s) => s.status === 'reused').map((s) => s.name);
    // Every dataset and every run finished before the kill is reused, not redone.
    expect(reused.length).toBeGreaterThanOrEqual(killedAt);
    expect(reused.slice(0, 4)).toEqual(record.stages.slice(0, 4).map((s) => s.name));
    expect(await readRows(out2)).toEqual(await readRows(out));
    // A folder holding one scale cannot be resumed at another.
    const other = await runCli(['study', '--out', out2, '--scale', 'default']);
    expect(other.code).toBe(3);
    expect(other.err.join('\n')).toMatch(/--scale tiny/);
    // Nor with a different encoder: its finished runs would be reused as they are.
    const blurred = await runCli(['study', '--out', out2, ...TINY, '--antialias']);
    expect(blurred.code).toBe(3);
    expect(blurred.err.join('\n')).toMatch(/--antialias false/);
  }, 300_000);
});
