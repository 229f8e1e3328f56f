/**
 * `datadiet compare`: evaluates each model into OUT/models/<name>/ (an evaluation whose inputs
 * fingerprint matches is reused, so a rerun after adding a model only evaluates the new one), then
 * writes table.csv, table.json and the self-contained report.html.
 */
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DatadietError } from '../core/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../output/manifest.ts';
import { evaluateModel, type EvaluateOptions } from './evaluate.ts';
import { reportHtml, type ReportModel } from './report.ts';
import { formatTable, rowOf, toCsv, type CompareRow } from './table.ts';

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

function modelNames(models: string[], names: string[] | undefined): string[] {
  if (names && names.length !== models.length) {
    throw new DatadietError(
      'CLI_USAGE',
      `--names gives ${names.length} names for ${models.length} models`,
      { hint: 'give one name per --models entry, in the same order' },
    );
  }
  const raw = names ?? models.map(defaultName);
  const seen = new Map<string, number>();
  return raw.map((n) => {
    const clean = n.replace(/[^\w.-]+/g, '_') || 'model';
    const k = (seen.get(clean) ?? 0) + 1;
    seen.set(clean, k);
    return k === 1 ? clean : `${clean}-${k}`;
  });
}

export async function compareModels(
  o: CompareOptions,
): Promise<{ reportPath: string; rows: CompareRow[]; table: string }> {
  if (o.models.length === 0) {
    throw new DatadietError('CLI_USAGE', '--models names no model', {
      hint: 'pass --models RUN_OR_BASELINE,RUN_OR_BASELINE,…',
    });
  }
  const names = modelNames(o.models, o.names);
  const { models: _m, names: _n, out, ...shared } = o;
  const evaluated: ReportModel[] = [];
  for (const [i, model] of o.models.entries()) {
    const name = names[i]!;
    const dir = join(out, 'models', name);
    const metrics = await evaluateModel({
      ...shared,
      model,
      out: dir,
      onProgress: (e) => o.onProgress?.({ ...e, stage: `${name}: ${e.stage}` }),
    });
    evaluated.push({ row: rowOf(name, metrics), metrics, dir });
  }
  const rows = evaluated.map((e) => e.row);
  const table = formatTable(rows);
  await mkdir(out, { recursive: true });
  await writeFileAtomic(join(out, 'table.csv'), toCsv(rows));
  await writeJsonAtomic(join(out, 'table.json'), { seed: o.seed ?? 0, rows });
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
