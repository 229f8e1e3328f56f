/**
 * `datadiet study` end to end, on the demo's machinery: generate the four datasets, train every
 * objective for several seeds, compare with the seeds pooled, measure the object's pixel fraction,
 * and write `results.md` with its figures. `study.json` is rewritten after every stage; a killed
 * study resumes (finished datasets, runs and evaluations are reused, unfinished ones continue).
 */
import { cpus, totalmem } from 'node:os';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DatadietError, writeFileAtomic, writeJsonAtomic } from '../core/index.ts';
import {
  chooseMachine,
  elapsed,
  generateStage,
  stageRunner,
  trainStage,
  type DemoProgress,
  type StageContext,
  type DemoRecord,
  type StageRecord,
} from '../demo/index.ts';
import { compareModels, METRICS_FILE, type CompareRow } from '../evaluation/index.ts';
import { objectPixelFraction, type ObjectFraction } from './framing.ts';
import { planStudy, STUDY_FRAMING, type StudyOptionsInput, type StudyPlan } from './plan.ts';
import { studyResults } from './results.ts';

export const STUDY_FORMAT = 'datadiet-study/1.0';
export const STUDY_FILE = 'study.json';

export interface StudyRecord {
  format: typeof STUDY_FORMAT;
  options: {
    scale: string;
    diet: string;
    seeds: number;
    seed: number;
    steps: number;
    /** Absent in studies written before the option existed (they ran without). */
    antialias?: boolean;
  };
  versions: DemoRecord['versions'];
  backend: { name: string; reason: string };
  renderer: unknown;
  stages: StageRecord[];
  total_seconds: number;
  object_fraction: ObjectFraction | null;
  table: CompareRow[] | null;
  report: string | null;
  results: string | null;
  started_at: string;
  finished_at: string | null;
}

export interface StudyHooks {
  log?: (line: string) => void;
  onProgress?: (p: DemoProgress) => void;
  onStage?: (s: StageRecord, index: number, total: number) => void;
}

export interface StudyResult {
  plan: StudyPlan;
  record: StudyRecord;
  recordPath: string;
  table: string;
}

async function readRecord(out: string): Promise<StudyRecord | null> {
  try {
    return JSON.parse(await readFile(join(out, STUDY_FILE), 'utf8')) as StudyRecord;
  } catch {
    return null; // none, or unreadable: the stages' own checks decide what to redo
  }
}

/**
 * The options that shape datasets or the models (seeds and steps may grow: more runs, longer runs);
 * a finished run is reused by its step count, so a model option must not change under it.
 */
const SHAPING = ['scale', 'diet', 'seed', 'antialias'] as const;

function checkResumable(previous: StudyRecord | null, plan: StudyPlan) {
  if (!previous?.options) return;
  const before = { antialias: false, ...previous.options };
  for (const key of SHAPING) {
    if (before[key] !== plan.options[key]) {
      throw new DatadietError(
        'OUT_DIR_MISMATCH',
        `${plan.options.out} holds a study made with --${key} ${before[key]}, not ${plan.options[key]}`,
        { hint: `pass --${key} ${before[key]} to resume it, or use a new --out` },
      );
    }
  }
}

/** metrics.json modification times under the comparison's models/ (to tell reuse from work). */
async function metricTimes(reportDir: string): Promise<Map<string, number>> {
  const dir = join(reportDir, 'models');
  const names = await readdir(dir).catch(() => [] as string[]);
  const times = new Map<string, number>();
  for (const n of names) {
    const s = await stat(join(dir, n, METRICS_FILE)).catch(() => null);
    if (s) times.set(n, s.mtimeMs);
  }
  return times;
}

/** The command line that reproduces this study (for results.md). */
export function studyCommand(plan: StudyPlan): string {
  const o = plan.options;
  return [
    `datadiet study --out ${o.out} --scale ${o.scale} --diet ${o.diet} --seeds ${o.seeds} --seed ${o.seed}`,
    o.steps !== undefined ? ` --steps ${o.steps}` : '',
    o.antialias ? ' --antialias' : '',
    o.backend !== 'auto' ? ` --backend ${o.backend}` : '',
  ].join('');
}

export async function runStudy(
  input: StudyOptionsInput,
  hooks: StudyHooks = {},
): Promise<StudyResult> {
  const plan = planStudy(input);
  const { options } = plan;
  const log = hooks.log ?? (() => {});
  await mkdir(options.out, { recursive: true });
  const previous = await readRecord(options.out);
  checkResumable(previous, plan);

  const { gl, versions: v, backend } = await chooseMachine(options, log);
  const record: StudyRecord = {
    format: STUDY_FORMAT,
    options: {
      scale: options.scale,
      diet: options.diet,
      seeds: options.seeds,
      seed: options.seed,
      steps: plan.steps,
      antialias: options.antialias,
    },
    versions: v,
    backend: { name: backend.name, reason: backend.reason },
    renderer: gl.record,
    stages: [],
    total_seconds: 0,
    object_fraction: null,
    table: null,
    report: null,
    results: null,
    started_at: new Date().toISOString(),
    finished_at: null,
  };
  const recordPath = join(options.out, STUDY_FILE);
  const ctx: StageContext = {
    options: { workers: options.workers, browser: options.browser },
    backend: backend.name,
    renderer: gl.record,
    version: v.datadiet,
    log,
    progress: (p) => hooks.onProgress?.(p),
  };
  const stage = stageRunner({
    record,
    previous,
    total: plan.datasets.length + plan.runs.length + 1,
    log,
    write: () => writeJsonAtomic(recordPath, record),
    onStage: hooks.onStage,
  });
  for (const d of plan.datasets) {
    await stage(`generate ${d.name} (${d.preset}): ${d.purpose}`, () => generateStage(d, ctx));
  }
  const dir = (name: string) => plan.datasets.find((d) => d.name === name)!.dir;
  const diet = plan.datasets.find((d) => d.name === 'diet')!;
  for (const r of plan.runs) {
    await stage(`train ${r.name} on ${diet.dir}`, () => trainStage(r, diet, ctx));
  }

  let table = '';
  await stage(`evaluate ${plan.runs.length} runs, seeds pooled`, async () => {
    const t0 = performance.now();
    const before = await metricTimes(plan.reportDir);
    const compared = await compareModels({
      models: plan.runs.map((r) => r.dir),
      names: plan.runs.map((r) => r.display),
      data: dir('probe'),
      decorrelated: dir('decorrelated'),
      cueConflict: dir('cue-conflict'),
      out: plan.reportDir,
      seed: options.seed,
      backend: backend.name,
      onProgress: (e) =>
        ctx.progress({ stage: `evaluate ${e.stage}`, done: e.done, total: e.total, unit: 'items' }),
    });
    const after = await metricTimes(plan.reportDir);
    // Reused when every evaluation was already there and none was rewritten (results.md is).
    const reused =
      before.size >= plan.runs.length && [...after].every(([n, t]) => before.get(n) === t);
    const fraction = await objectPixelFraction(dir('probe'));
    const first = JSON.parse(
      await readFile(join(plan.reportDir, 'models', plan.runs[0]!.display, METRICS_FILE), 'utf8'),
    ) as { data: { categories: string[] } };
    const cores = cpus();
    const { markdown, figures } = studyResults({
      command: studyCommand(plan),
      date: new Date().toISOString().slice(0, 10),
      scale: options.scale,
      smoke: options.scale === 'tiny',
      diet: options.diet,
      seeds: options.seeds,
      steps: plan.steps,
      antialias: options.antialias,
      size: plan.sizes.size,
      sequences: {
        diet: plan.sizes.diet,
        evaluation: plan.sizes.evaluation,
        cueConflict: plan.sizes.cueConflict,
      },
      machine: `${cores.length} × ${cores[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
      backend: backend.name,
      categories: first.data.categories,
      framing: `vertical field of view ${STUDY_FRAMING.camera.fov_y_deg}°, gaze on the object (the presets use 50° and the scene centre)`,
      objectFraction: fraction,
      rows: compared.rows,
    });
    await mkdir(join(options.out, 'figures'), { recursive: true });
    for (const [name, svg] of Object.entries(figures)) {
      await writeFileAtomic(join(options.out, 'figures', name), svg);
    }
    await writeFileAtomic(plan.resultsFile, markdown);
    record.object_fraction = fraction;
    record.table = compared.rows;
    record.report = compared.reportPath;
    record.results = plan.resultsFile;
    record.finished_at = new Date().toISOString();
    table = compared.table;
    return {
      name: 'evaluate',
      kind: 'evaluate',
      status: reused ? 'reused' : 'ran',
      seconds: elapsed(t0),
      output: plan.reportDir,
      details: { report: compared.reportPath, results: plan.resultsFile },
    };
  });
  return { plan, record, recordPath, table };
}
