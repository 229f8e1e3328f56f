/**
 * The demo's stages, each through the project's public APIs: generate (generator/), train
 * (training/). Each first checks whether an earlier invocation already finished the same work
 * (dataset manifest with the same fingerprint; a run already at its step count) and then reuses
 * it; otherwise it calls the API, which itself resumes at shard or checkpoint granularity.
 */
import { type RendererRecord, datasetFingerprint, generateDataset } from '../generator/index.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE } from '../output/index.ts';
import { resolveSpec } from '../scenes/index.ts';
import {
  latestCheckpoint,
  readRunMetrics,
  train,
  type RunMetric,
  type TrainConfigInput,
} from '../training/index.ts';
import type { DatasetPlan, DemoOptions } from './plan.ts';
import type { StageRecord } from './record.ts';

/** A stage's outcome before demo.json adds `ran_seconds`. */
export type StageOutcome = Omit<StageRecord, 'ran_seconds' | 'cpu_seconds'>;

export interface DemoProgress {
  stage: string;
  done: number;
  total: number;
  unit: string;
  detail?: string;
}

/** A run to train: any objective, its config (steps included) and its folder. */
export interface TrainPlan {
  name: string;
  objective: string;
  dir: string;
  config: TrainConfigInput & { steps: number };
}

export interface StageContext {
  /** Only what rendering needs: shared by `datadiet demo` and `datadiet study`. */
  options: Pick<DemoOptions, 'workers' | 'browser'>;
  /** The backend chosen once for the whole demo (so `auto` is not probed again per run). */
  backend: string;
  /** The renderer chosen once for every dataset (`--gl`), part of each dataset's fingerprint. */
  renderer: RendererRecord;
  version: string;
  log: (line: string) => void;
  progress: (p: DemoProgress) => void;
}

async function readJsonOrNull<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Seconds since `t0` (a `performance.now()` reading), to 0.01 s. */
export const elapsed = (t0: number) => +((performance.now() - t0) / 1000).toFixed(2);

export async function generateStage(d: DatasetPlan, ctx: StageContext): Promise<StageOutcome> {
  const t0 = performance.now();
  const name = `generate ${d.name}`;
  const spec = await resolveSpec({ preset: d.preset, overrides: d.overrides });
  const fingerprint = datasetFingerprint(spec, ctx.version, {}, ctx.renderer.renderer);
  const details = {
    preset: d.preset,
    seed: spec.seed,
    sequences: spec.sequences,
    frames: spec.frames,
    size: [spec.height, spec.width],
    fingerprint,
  };
  const manifest = await readJsonOrNull<{ fingerprint?: string; total_bytes?: number }>(
    join(d.dir, MANIFEST_FILE),
  );
  if (manifest?.fingerprint === fingerprint) {
    return {
      name,
      kind: 'generate',
      status: 'reused',
      seconds: elapsed(t0),
      output: d.dir,
      details: { ...details, bytes: manifest.total_bytes },
    };
  }
  let done = 0;
  let total = 0;
  const result = await generateDataset({
    spec,
    out: d.dir,
    workers: ctx.options.workers,
    browserPath: ctx.options.browser,
    gl: ctx.renderer.gl,
    onEvent: (e) => {
      if (e.type === 'plan') {
        total = e.sequencesToRender;
        ctx.progress({ stage: name, done: 0, total, unit: 'seq' });
      } else if (e.type === 'sequence') {
        ctx.progress({ stage: name, done: ++done, total, unit: 'seq' });
      } else if (e.type === 'retry') {
        ctx.log(`  shard ${e.shard}: ${e.reason}; restarting the browser (attempt ${e.attempt})`);
      }
    },
  });
  const written = await readJsonOrNull<{ total_bytes?: number }>(join(d.dir, MANIFEST_FILE));
  const pairs = result.sequencesRendered * spec.frames;
  return {
    name,
    kind: 'generate',
    status: 'ran',
    seconds: elapsed(t0),
    output: d.dir,
    details: {
      ...details,
      bytes: written?.total_bytes,
      shards_written: result.shardsWritten,
      shards_skipped: result.shardsSkipped,
      stereo_pairs_per_s: +(pairs / Math.max(1e-6, result.seconds)).toFixed(2),
    },
  };
}

async function lastMetric(runDir: string): Promise<RunMetric | null> {
  const metrics = await readRunMetrics(runDir).catch(() => []);
  return metrics[metrics.length - 1] ?? null;
}

/** The step of a run's newest checkpoint (0 when it has none). */
export async function runStep(runDir: string): Promise<number> {
  const latest = await latestCheckpoint(runDir);
  if (latest === null) return 0;
  const json = await readJsonOrNull<{ modelTopology?: { step?: number } }>(
    join(latest, 'model.json'),
  );
  return json?.modelTopology?.step ?? 0;
}

/**
 * Where a run's diet comes from: `train`'s `data` (the generated dataset), or its `stream` source
 * (`--stream`: the diet's spec rendered while the run trains). Exported for commands that plan
 * runs on a demo-style diet (e.g. a study).
 */
export async function dietSource(
  diet: DatasetPlan,
  ctx: Pick<StageContext, 'options' | 'renderer'>,
) {
  if (!diet.streamed) return { data: diet.dir };
  return {
    stream: {
      spec: await resolveSpec({ preset: diet.preset, overrides: diet.overrides }),
      workers: ctx.options.workers,
      browserPath: ctx.options.browser,
      gl: { gl: ctx.renderer.gl, renderer: ctx.renderer.renderer },
    },
  };
}

export async function trainStage(
  r: TrainPlan,
  diet: DatasetPlan,
  ctx: StageContext,
): Promise<StageOutcome> {
  const t0 = performance.now();
  const name = `train ${r.name}`;
  const steps = r.config.steps;
  const data = diet.streamed ? `stream of ${diet.preset}` : diet.dir;
  const base = { objective: r.objective, data, steps };
  const reached = await runStep(r.dir);
  if (reached >= steps) {
    const last = await lastMetric(r.dir);
    return {
      name,
      kind: 'train',
      status: 'reused',
      seconds: elapsed(t0),
      output: r.dir,
      details: { ...base, step: reached, final_loss: last?.loss ?? null },
    };
  }
  const result = await train({
    ...(await dietSource(diet, ctx)),
    out: r.dir,
    backend: ctx.backend,
    config: r.config,
    log: (l) => ctx.log(`  ${l}`),
    onStep: (s) =>
      ctx.progress({
        stage: name,
        done: s.step - s.startStep,
        total: s.totalSteps - s.startStep,
        unit: 'steps',
        detail: `loss ${s.loss.toPrecision(4)} | ${s.imagesPerSecond.toFixed(1)} img/s`,
      }),
  });
  result.model.params.dispose(); // evaluation reloads the checkpoint
  const last = await lastMetric(r.dir);
  return {
    name,
    kind: 'train',
    status: 'ran',
    seconds: elapsed(t0),
    output: r.dir,
    details: {
      ...base,
      step: result.step,
      resumed_from: result.startStep,
      first_loss: result.losses[0]?.loss ?? null,
      final_loss: last?.loss ?? null,
      images_per_s: last?.images_per_s ?? null,
      backend: result.backend.name,
      checkpoint: result.checkpoint,
    },
  };
}
