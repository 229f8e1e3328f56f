/**
 * `datadiet demo` end to end: generate the diet and the evaluation splits, train SFA, PredNet and
 * the supervised baseline on the diet, compare the three, and record it all in `demo.json`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluateStage, type CompareSummary } from './evaluate-stage.ts';
import { planDemo, type DemoOptionsInput, type DemoPlan } from './plan.ts';
import {
  checkResumable,
  readDemoRecord,
  writeDemoRecord,
  DEMO_FILE,
  DEMO_FORMAT,
  type DemoRecord,
  type StageRecord,
} from './record.ts';
import { chooseMachine, stageRunner } from './runner.ts';
import { generateStage, trainStage, type DemoProgress, type StageContext } from './stages.ts';

export interface DemoHooks {
  log?: (line: string) => void;
  /** Called as each stage advances; a new `stage` name starts a new stage. */
  onProgress?: (p: DemoProgress) => void;
  /** Called when a stage finishes (ran or reused). */
  onStage?: (s: StageRecord, index: number, total: number) => void;
}

export interface DemoResult {
  plan: DemoPlan;
  record: DemoRecord;
  recordPath: string;
  summary: CompareSummary;
}

export async function runDemo(input: DemoOptionsInput, hooks: DemoHooks = {}): Promise<DemoResult> {
  const plan = planDemo(input);
  const { options } = plan;
  const log = hooks.log ?? (() => {});
  await mkdir(options.out, { recursive: true });
  const previous = await readDemoRecord(options.out);
  checkResumable(previous, options, options.out);

  const { browser, gl, versions: v, backend } = await chooseMachine(options, log);
  const record: DemoRecord = {
    format: DEMO_FORMAT,
    options: {
      size: options.size,
      sequences: options.sequences,
      steps: options.steps,
      seed: options.seed,
      backend: options.backend,
      workers: options.workers,
      stream: options.stream,
    },
    seed: options.seed,
    versions: v,
    browser,
    renderer: gl.record,
    backend: { name: backend.name, reason: backend.reason },
    datasets: plan.datasets.map((d) => ({
      name: d.name,
      preset: d.preset,
      purpose: d.purpose,
      dir: d.streamed ? null : d.dir,
      ...(d.streamed ? { streamed: true } : {}),
    })),
    runs: plan.runs.map((r) => ({ name: r.name, objective: r.objective, dir: r.dir })),
    stages: [],
    total_seconds: 0,
    report: null,
    table: null,
    started_at: new Date().toISOString(),
    finished_at: null,
  };
  const recordPath = join(options.out, DEMO_FILE);
  const ctx: StageContext = {
    options,
    backend: backend.name,
    renderer: gl.record,
    version: v.datadiet,
    log,
    progress: (p) => hooks.onProgress?.(p),
  };
  const generated = plan.datasets.filter((d) => !d.streamed);
  const stage = stageRunner({
    record,
    previous,
    total: generated.length + plan.runs.length + 1,
    log,
    write: () => writeDemoRecord(options.out, record),
    onStage: hooks.onStage,
  });
  for (const d of generated) {
    await stage(`generate ${d.name} (${d.preset}): ${d.purpose}`, () => generateStage(d, ctx));
  }
  const diet = plan.datasets.find((d) => d.name === 'diet')!;
  const on = diet.streamed ? `a stream of ${diet.preset} (rendered while it trains)` : diet.dir;
  for (const r of plan.runs) {
    await stage(`train ${r.name} on ${on}`, () => trainStage(r, diet, ctx));
  }
  let summary: CompareSummary | undefined;
  await stage(`evaluate and compare the ${plan.runs.length} runs`, async () => {
    const evaluated = await evaluateStage(plan, ctx);
    summary = evaluated.summary;
    record.report = summary.reportPath;
    record.table = summary.rows;
    record.finished_at = new Date().toISOString();
    return evaluated.stage;
  });
  return { plan, record, recordPath, summary: summary! };
}
