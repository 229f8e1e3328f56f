/**
 * `datadiet compare`: evaluates each model into OUT/models/<name>/ (an evaluation whose inputs
 * fingerprint matches is reused, so a rerun after adding a model only evaluates the new one), then
 * writes table.csv, table.json and the self-contained report.html. Models given the same name
 * (`--names SFA,SFA,SFA` for three training seeds of one recipe) are pooled into one row: mean and
 * Student-t interval across seeds; each run keeps its own folder and row under `runs`.
 */
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DatadietError, writeFileAtomic, writeJsonAtomic } from '../core/index.ts';
import { evaluateModel, type EvaluateOptions } from './evaluate.ts';
import { reportHtml, type ReportModel } from './report.ts';
import { formatTable, pooledRow, rowOf, toCsv, type CompareRow } from './table.ts';

export interface CompareOptions extends Omit<EvaluateOptions, 'model' | 'out'> {
  models: string[];
  names?: string[] | undefined;
  out: string;
}

export const REPORT_FILE = 'report.html';

/** A folder-safe name from a model path: the run folder or the descriptor's file name. */
export function defaultName(path: string): string {
  const base = basename(path.replace(/\/+$/, '')).replace(/\.json$/i, '');
  return base.replace(/[^\w.-]+/g, '_') || 'model';
}

const clean = (n: string) => n.replace(/[^\w.-]+/g, '_') || 'model';

/** Row names (repeats kept: they pool) and unique folder names (`SFA`, `SFA-2`, …). */
function modelNames(
  models: string[],
  names: string[] | undefined,
): { rows: string[]; dirs: string[] } {
  if (names && names.length !== models.length) {
    throw new DatadietError(
      'CONFIG_INVALID',
      `names gives ${names.length} names for ${models.length} models`,
      {
        hint: 'give one name per model, in the same order (repeat a name to pool seeds)',
        field: { config: 'compare', path: 'names' },
      },
    );
  }
  const raw = (names ?? models.map(defaultName)).map(clean);
  const seen = new Map<string, number>();
  const dirs = raw.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}-${k}`;
  });
  // Without --names, two models with the same folder name are different models, not seeds.
  return { rows: names ? raw : dirs, dirs };
}

/** Pooled runs must be one recipe: same kind and objective (they may differ in seed only). */
function checkPool(name: string, members: ReportModel[]) {
  const first = members[0]!.metrics.model;
  for (const m of members.slice(1)) {
    const mm = m.metrics.model;
    if (
      mm.kind !== first.kind ||
      mm.objective !== first.objective ||
      mm.feature_dim !== first.feature_dim
    ) {
      throw new DatadietError(
        'CONFIG_INVALID',
        `names gives "${name}" to models that are not one recipe (${first.kind} ${first.objective ?? ''} [${first.feature_dim}] vs ${mm.kind} ${mm.objective ?? ''} [${mm.feature_dim}])`,
        {
          hint: 'repeat a name only for runs that differ in their training seed',
          field: { config: 'compare', path: 'names' },
        },
      );
    }
  }
}

export async function compareModels(
  o: CompareOptions,
): Promise<{ reportPath: string; rows: CompareRow[]; table: string }> {
  if (o.models.length === 0) {
    throw new DatadietError('CONFIG_INVALID', 'models names no model', {
      hint: 'give at least one run folder, checkpoint folder or baseline',
      field: { config: 'compare', path: 'models' },
    });
  }
  const names = modelNames(o.models, o.names);
  const { models: _m, names: _n, out, ...shared } = o;
  const runs: ReportModel[] = [];
  for (const [i, model] of o.models.entries()) {
    const dirName = names.dirs[i]!;
    const dir = join(out, 'models', dirName);
    const metrics = await evaluateModel({
      ...shared,
      model,
      out: dir,
      onProgress: (e) => o.onProgress?.({ ...e, stage: `${dirName}: ${e.stage}` }),
    });
    runs.push({ row: rowOf(names.rows[i]!, metrics), metrics, dir, runs: [] });
  }
  // One entry per name, in first-appearance order; pooled rows keep their runs.
  const groups = new Map<string, ReportModel[]>();
  runs.forEach((r) => groups.set(r.row.name, [...(groups.get(r.row.name) ?? []), r]));
  const evaluated: ReportModel[] = [...groups].map(([name, members]) => {
    checkPool(name, members);
    return {
      row: pooledRow(
        name,
        members.map((m) => m.row),
      ),
      metrics: members[0]!.metrics,
      dir: members[0]!.dir,
      runs: members.length > 1 ? members.map((m) => m.row) : [],
    };
  });
  const rows = evaluated.map((e) => e.row);
  const table = formatTable(rows);
  await mkdir(out, { recursive: true });
  await writeFileAtomic(join(out, 'table.csv'), toCsv(rows));
  await writeJsonAtomic(join(out, 'table.json'), {
    seed: o.seed ?? 0,
    intervals:
      '95 %: seeded percentile bootstrap over images (sequences, clips) for one run; mean ± Student-t across seeds for rows pooling several runs',
    rows,
    runs: runs.map((r) => ({ ...r.row, dir: r.dir })),
  });
  const html = await reportHtml({
    title: `datadiet compare — ${rows.map((r) => r.name).join(', ')}`,
    models: evaluated,
    inputs: {
      data: o.data,
      decorrelated: o.decorrelated,
      cueConflict: o.cueConflict,
      clickme: o.clickme,
      seed: o.seed ?? 0,
    },
  });
  const reportPath = join(out, REPORT_FILE);
  await writeFileAtomic(reportPath, html);
  return { reportPath, rows, table };
}
