/**
 * The demo's last stage: `compareModels` over the three runs, with the probe, decorrelated and
 * cue-conflict splits. Evaluation reuses a model's metrics when its inputs fingerprint matches,
 * so a rerun only rewrites the report; the stage counts as reused when no metrics.json changed.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compareModels, METRICS_FILE, type CompareRow } from '../evaluation/index.ts';
import type { DemoPlan } from './plan.ts';
import { elapsed, type StageContext, type StageOutcome } from './stages.ts';

export interface CompareSummary {
  reportPath: string;
  rows: CompareRow[];
  /** The terminal table `compareModels` formats. */
  table: string;
}

/** Display names, in the run order: short, as they appear in the table and the report. */
export const MODEL_NAMES: Record<string, string> = {
  sfa: 'SFA',
  prednet: 'PredNet',
  supervised: 'supervised',
};

async function mtimes(paths: string[]): Promise<(number | null)[]> {
  return Promise.all(
    paths.map((p) =>
      stat(p).then(
        (s) => s.mtimeMs,
        () => null,
      ),
    ),
  );
}

export async function evaluateStage(
  plan: DemoPlan,
  ctx: StageContext,
): Promise<{ stage: StageOutcome; summary: CompareSummary }> {
  const t0 = performance.now();
  const dir = (name: string) => plan.datasets.find((d) => d.name === name)!.dir;
  const names = plan.runs.map((r) => MODEL_NAMES[r.name] ?? r.name);
  const metricFiles = names.map((n) => join(plan.reportDir, 'models', n, METRICS_FILE));
  const before = await mtimes(metricFiles);
  const result = await compareModels({
    models: plan.runs.map((r) => r.dir),
    names,
    data: dir('probe'),
    decorrelated: dir('decorrelated'),
    cueConflict: dir('cue-conflict'),
    out: plan.reportDir,
    seed: plan.options.seed,
    backend: ctx.backend,
    onProgress: (e) =>
      ctx.progress({ stage: `evaluate ${e.stage}`, done: e.done, total: e.total, unit: 'items' }),
  });
  const after = await mtimes(metricFiles);
  const reused = before.every((t, i) => t !== null && t === after[i]);
  return {
    stage: {
      name: 'evaluate',
      kind: 'evaluate',
      status: reused ? 'reused' : 'ran',
      seconds: elapsed(t0),
      output: plan.reportDir,
      details: { report: result.reportPath, models: names },
    },
    summary: result,
  };
}
