/**
 * `datadiet demo` end to end: generate the diet and the evaluation splits, train SFA, PredNet and
 * the supervised baseline on the diet, compare the three, and record it all in `demo.json`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chooseGl, findBrowser } from '../generator/browser.ts';
import { selectBackend } from '../training/index.ts';
import { evaluateStage, type CompareSummary } from './evaluate-stage.ts';
import { planDemo, type DemoOptionsInput, type DemoPlan } from './plan.ts';
import {
  carryRanSeconds,
  checkResumable,
  readDemoRecord,
  versions,
  writeDemoRecord,
  DEMO_FILE,
  DEMO_FORMAT,
  type DemoRecord,
  type StageRecord,
} from './record.ts';
import {
  generateStage,
  trainStage,
  type DemoProgress,
  type StageContext,
  type StageOutcome,
} from './stages.ts';

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

  // Fail fast, before any work, when rendering cannot start.
  const browser = findBrowser(options.browser);
  const gl = await chooseGl(browser, options.gl);
  log(`renderer: ${gl.record.renderer} (--gl ${gl.record.gl}; ${gl.note})`);
  const v = await versions();
  // Chosen once up front: evaluation needs it too, even when every run is reused.
  const backend = await selectBackend(options.backend);
  log(`backend: ${backend.name}${backend.reason ? ` (${backend.reason})` : ''}`);
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
  const total = generated.length + plan.runs.length + 1;
  const finish = async (outcome: StageOutcome, cpuStart: NodeJS.CpuUsage) => {
    const cpu = process.cpuUsage(cpuStart);
    const cpu_seconds = +((cpu.user + cpu.system) / 1e6).toFixed(2);
    const s = carryRanSeconds({ ...outcome, cpu_seconds }, previous);
    record.stages.push(s);
    record.total_seconds = +record.stages.reduce((a, x) => a + x.seconds, 0).toFixed(2);
    await writeDemoRecord(options.out, record);
    hooks.onStage?.(s, record.stages.length, total);
  };

  for (const d of generated) {
    log(`[${record.stages.length + 1}/${total}] generate ${d.name} (${d.preset}): ${d.purpose}`);
    const cpu = process.cpuUsage();
    await finish(await generateStage(d, ctx), cpu);
  }
  const diet = plan.datasets.find((d) => d.name === 'diet')!;
  for (const r of plan.runs) {
    const on = diet.streamed ? `a stream of ${diet.preset} (rendered while it trains)` : diet.dir;
    log(`[${record.stages.length + 1}/${total}] train ${r.name} on ${on}`);
    const cpu = process.cpuUsage();
    await finish(await trainStage(r, diet, ctx), cpu);
  }
  log(`[${record.stages.length + 1}/${total}] evaluate and compare the ${plan.runs.length} runs`);
  const cpu = process.cpuUsage();
  const evaluated = await evaluateStage(plan, ctx);
  record.report = evaluated.summary.reportPath;
  record.table = evaluated.summary.rows;
  record.finished_at = new Date().toISOString();
  await finish(evaluated.stage, cpu);
  return { plan, record, recordPath, summary: evaluated.summary };
}
