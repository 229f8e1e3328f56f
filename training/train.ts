/**
 * One training run: backend, loader, objective, Adam, checkpoints, metrics. A run folder holds
 * `config.json`, `checkpoints/step-N/` (tfjs format), `metrics.jsonl` and `loss.svg`; rerunning
 * the same command resumes from the newest checkpoint and continues the step count.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DatadietError, writeFileAtomic, Rng } from '../core/index.ts';
import { selectBackend, type BackendChoice } from './backend.ts';
import {
  assignWeights,
  latestCheckpoint,
  loadCheckpoint,
  removeStaleCheckpointTemps,
  restoreOptimizer,
} from './checkpoint.ts';
import { TrainConfigSchema, type TrainConfig, type TrainConfigInput } from './config.ts';
import { readRunMetrics } from './run-metrics.ts';
import { createLoader, readDataInfo, type DataInfo } from './loader.ts';
import type { SampleSource, SkipReport } from './sources.ts';
import { streamManifest, streamSource, type StreamSourceOptions } from './stream-source.ts';
import type { LoaderNeeds, ModelShape, Objective, ObjectiveModel } from './objective.ts';
import { findObjective } from './objectives/index.ts';
import { TrainLoop, type StepInfo } from './train-loop.ts';

export { CURVE_FILE, RUN_FILE, type StepInfo } from './train-loop.ts';

export interface TrainOptions {
  /** Dataset folder (written by `datadiet generate`); or give `stream`. */
  data?: string;
  /** Render the data while training instead (`--stream`): nothing is written but the run folder. */
  stream?: StreamSourceOptions;
  /** Run folder. */
  out: string;
  config: TrainConfigInput;
  backend?: string;
  /** Leave damaged shards and samples out (listed in `run.json`) instead of stopping. */
  skipCorrupt?: boolean;
  log?: (line: string) => void;
  onStep?: (info: StepInfo) => void;
}

export interface TrainResult {
  backend: BackendChoice;
  config: TrainConfig;
  /** Step the run started from (0, or the resumed checkpoint's step). */
  startStep: number;
  step: number;
  losses: { step: number; loss: number }[];
  checkpoint: string | null;
  model: ObjectiveModel;
  shape: ModelShape;
  /** Shards and samples left out with `skipCorrupt`. */
  skipped: SkipReport;
}

// Fields that shape the model or its data: a resumed run must agree on them.
// A checkpoint's config is stored as written: ones from before `antialias` existed lack it.
const modelKey = (c: TrainConfig) =>
  JSON.stringify([
    c.objective,
    { antialias: false, ...(c.encoder as Partial<TrainConfig['encoder']>) },
    c.sfa,
    c.prednet,
    c.egomotion,
    c.clip,
    c.size,
  ]);

/**
 * Builds a fresh model for a config and data shape (also used to rebuild from a checkpoint);
 * `motionColumns`: the data's motion.npy column names, where egomotion finds its targets.
 */
export function buildModel(
  config: TrainConfig,
  shape: ModelShape,
  motionColumns?: readonly string[],
): ObjectiveModel {
  return findObjective(config.objective).create({
    config,
    shape,
    motionColumns,
    // Not per objective: sfa and sfa-linear start from the same encoder for one seed.
    rng: new Rng(config.seed, 'train'),
  });
}

/** Rebuilds a model from a checkpoint folder with its weights (evaluation, tests). */
export async function loadModel(dir: string) {
  const ck = await loadCheckpoint(dir);
  const model = buildModel(ck.meta.config, ck.meta.shape);
  assignWeights(model.params, ck.weights, dir);
  tf.dispose(Object.values(ck.weights));
  if (ck.optimizer) tf.dispose(ck.optimizer.map((o) => o.tensor));
  return { model, meta: ck.meta };
}

/**
 * A training run as its steps: check the config, choose the backend, open the data, find the
 * resume point, build (or restore) the model, then the step loop (train-loop.ts) to the end.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? (() => {});
  const { objective, config } = validateConfig(opts.config);
  const backend = await selectBackend(opts.backend ?? 'auto');
  log(
    `backend: ${backend.name} (${backend.reason})${backend.addedKernels.length ? `; registered ${backend.addedKernels.join(', ')}` : ''}`,
  );
  const needs = objective.needs(config);
  const data = await openData(opts, config, needs);
  const resume = await findResumePoint(opts, config, data, log);
  const { model, optimizer } = await buildOrRestore(opts, config, data, needs, resume, log);
  const records = await resumedRecords(opts.out, resume.startStep);
  const loader = await openLoader(opts, config, needs, data);
  const { resumed, startStep, latest } = resume;
  if (resumed && !resumed.meta.loader && !model.fit && startStep < config.steps) {
    log(`${latest} predates saved loader state: the data order restarts from the beginning`);
  }
  const loop = new TrainLoop({
    out: opts.out,
    data: opts.data,
    stream: opts.stream,
    config,
    needs,
    shape: data.shape,
    backendName: backend.name,
    model,
    optimizer,
    loader,
    dataRecord: data.record,
    source: data.source,
    ...records,
    startStep,
    latest,
    loaderState: resumed?.meta.loader,
    log,
    onStep: opts.onStep,
  });
  await loop.run();
  optimizer.dispose();
  return {
    backend,
    config,
    startStep,
    step: loop.step,
    losses: loop.losses.filter((l) => l.step > startStep),
    checkpoint: loop.checkpoint,
    model,
    shape: data.shape,
    skipped: loop.skipped,
  };
}

/** The parsed config with its learning rate resolved; a bad field is named (the CLI adds its flag). */
function validateConfig(input: TrainConfigInput): { objective: Objective; config: TrainConfig } {
  const parsed = TrainConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // egomotion.targets.1 → field egomotion.targets, item 2 (the CLI names its flag)
    const at = issue.path.findIndex((k) => typeof k === 'number');
    const field = (at < 0 ? issue.path : issue.path.slice(0, at)).join('.') || 'config';
    const item = at < 0 ? '' : `, item ${Number(issue.path[at]) + 1}`;
    // No hint: the message says what is wrong; the CLI adds which flag to fix.
    throw new DatadietError('CONFIG_INVALID', `${field}${item}: ${issue.message}`, {
      field: { config: 'train', path: field },
    });
  }
  const objective = findObjective(parsed.data.objective);
  // Resolved here, so config.json and the checkpoints record the rate actually used.
  const config = { ...parsed.data, lr: parsed.data.lr ?? objective.defaultLr ?? 1e-3 };
  return { objective, config };
}

/** Where the batches come from and what they look like. */
interface RunData {
  info: DataInfo;
  /** The rendering stream, when training on one instead of a dataset on disk. */
  fromStream:
    { source: SampleSource; fingerprint: string; spec: StreamSourceOptions['spec'] } | undefined;
  /** The data as named in messages. */
  name: string;
  shape: ModelShape;
  /** What `config.json` and `run.json` say the data was. */
  record: unknown;
  /** `dataset`, or `stream:<fingerprint>`: a resume must read the same. */
  source: string;
}

/** Opens --data or the --stream (rendering only the layers the objective reads) and checks it. */
async function openData(
  opts: TrainOptions,
  config: TrainConfig,
  needs: LoaderNeeds,
): Promise<RunData> {
  if ((opts.data === undefined) === (opts.stream === undefined)) {
    throw new DatadietError(
      'CONFIG_INVALID',
      'data: train needs either data (a folder) or stream',
      {
        hint: 'give a dataset folder, or stream options with a spec',
        field: { config: 'run', path: 'data' },
      },
    );
  }
  let fromStream: RunData['fromStream'];
  let info;
  if (opts.stream) {
    if (config.objective === 'sfa-linear') {
      throw new DatadietError(
        'CONFIG_INVALID',
        `objective ${config.objective} fits on a dataset on disk, not a stream`,
        {
          hint: 'generate the dataset first and train on it, or pick a gradient objective',
          field: { config: 'train', path: 'objective' },
        },
      );
    }
    // Only the layers the objective reads are rendered (labels come from the seg layer).
    const spec = { ...opts.stream.spec, layers: needs.labels ? ['rgb', 'seg'] : ['rgb'] };
    const stream = { ...opts.stream, spec: spec as typeof opts.stream.spec };
    const made = await streamSource(stream);
    info = made.info;
    fromStream = {
      source: made.source,
      fingerprint: String((await streamManifest(stream.spec, stream.gl?.renderer)).fingerprint),
      spec: stream.spec,
    };
  } else {
    info = await readDataInfo(opts.data as string);
  }
  const name = opts.data ?? `stream of ${opts.stream?.spec.name}`;
  if (needs.motion && info.motionColumns.length === 0) {
    throw new DatadietError(
      'MODEL_DATA_MISMATCH',
      `${config.objective} needs the self-motion signals (<key>.motion.npy) that ${name} lacks`,
      { hint: 'regenerate the dataset with this version of datadiet (it writes <key>.motion.npy)' },
    );
  }
  const shape: ModelShape = {
    height: config.size ?? info.height,
    width: config.size ?? info.width,
    numClasses: info.numClasses,
  };
  const record = opts.stream
    ? {
        stream: {
          spec: fromStream?.spec,
          replay: opts.stream.replay ?? 1,
          fingerprint: fromStream?.fingerprint,
          ...(opts.stream.cache ? { cache: opts.stream.cache } : {}),
        },
      }
    : opts.data;
  const source = fromStream ? `stream:${fromStream.fingerprint}` : 'dataset';
  return { info, fromStream, name, shape, record, source };
}

type ResumePoint = {
  latest: string | null;
  resumed: Awaited<ReturnType<typeof loadCheckpoint>> | null;
  startStep: number;
};

/** Resume: the newest checkpoint must come from the same model on data of the same shape. */
async function findResumePoint(
  opts: TrainOptions,
  config: TrainConfig,
  data: RunData,
  log: (line: string) => void,
): Promise<ResumePoint> {
  await mkdir(opts.out, { recursive: true });
  const stale = await removeStaleCheckpointTemps(opts.out);
  if (stale.length) log(`removed ${stale.length} unfinished checkpoint folder(s) of a killed run`);
  const latest = await latestCheckpoint(opts.out);
  const resumed = latest === null ? null : await loadCheckpoint(latest);
  const { shape } = data;
  if (resumed) {
    if (modelKey(resumed.meta.config) !== modelKey(config)) {
      throw new DatadietError(
        'RUN_MISMATCH',
        `${opts.out} holds a ${resumed.meta.config.objective} run with a different model configuration`,
        { hint: 'use a new --out, or the same objective and model flags as that run' },
      );
    }
    if (JSON.stringify(resumed.meta.shape) !== JSON.stringify(shape)) {
      throw new DatadietError(
        'MODEL_DATA_MISMATCH',
        `checkpoint ${latest} expects ${resumed.meta.shape.height}×${resumed.meta.shape.width} frames and ${resumed.meta.shape.numClasses} categories; ${data.name} gives ${shape.height}×${shape.width} and ${shape.numClasses}`,
        { hint: 'pass --size to match, or train into a new --out' },
      );
    }
  }
  if (resumed?.meta.loader && (resumed.meta.source ?? 'dataset') !== data.source) {
    throw new DatadietError(
      'RUN_MISMATCH',
      `${opts.out} was trained on ${resumed.meta.source ?? 'a dataset'}, not on this ${data.fromStream ? 'stream' : 'dataset'}`,
      {
        hint: 'resume with the same --data or --stream spec, seed and --replay, or use a new --out',
      },
    );
  }
  return { latest, resumed, startStep: resumed?.meta.step ?? 0 };
}

/** A fresh model and Adam, or the checkpoint's weights and optimizer state; writes config.json. */
async function buildOrRestore(
  opts: TrainOptions,
  config: TrainConfig,
  data: RunData,
  needs: LoaderNeeds,
  resume: ResumePoint,
  log: (line: string) => void,
): Promise<{ model: ObjectiveModel; optimizer: tf.Optimizer }> {
  const { info, shape } = data;
  const model = buildModel(config, shape, info.motionColumns);
  log(
    `objective: ${config.objective}; ${model.params.count()} parameters; data ${info.height}×${info.width}×${info.frames} frames → clips of ${needs.clipLength} at ${shape.height}×${shape.width}`,
  );
  const optimizer = tf.train.adam(config.lr);
  if (resume.resumed) {
    assignWeights(model.params, resume.resumed.weights, resume.latest as string);
    await restoreOptimizer(optimizer, resume.resumed);
    tf.dispose(Object.values(resume.resumed.weights));
    log(`resuming from ${resume.latest} (step ${resume.startStep})`);
  }
  await writeFileAtomic(
    join(opts.out, 'config.json'),
    `${JSON.stringify({ data: data.record, config }, null, 2)}\n`,
  );
  return { model, optimizer };
}

/** The resumed run's metric lines and losses up to its checkpoint (none for a fresh run). */
async function resumedRecords(out: string, startStep: number) {
  const resumedMetrics = (await readRunMetrics(out)).filter((m) => m.step <= startStep);
  return {
    metricLines: resumedMetrics.map((m) => JSON.stringify(m)),
    losses: resumedMetrics.map(({ step, loss }) => ({ step, loss })),
  };
}

/** The loader over the run's data: one data order per seed, continued by a resumed run. */
function openLoader(opts: TrainOptions, config: TrainConfig, needs: LoaderNeeds, data: RunData) {
  return createLoader(
    {
      dir: opts.data,
      batchSize: config.batch,
      clipLength: needs.clipLength,
      eyes: needs.eyes,
      labels: needs.labels,
      motion: needs.motion ?? false,
      size: config.size === undefined ? undefined : [config.size, config.size],
      shuffleBuffer: config.shuffleBuffer,
      heldOutEvery: config.heldOutEvery,
      split: config.heldOutEvery > 0 ? 'train' : 'all',
      // One data order per seed: a resumed run continues it from the checkpoint's loader state.
      seed: new Rng(config.seed, 'loader').streamSeed,
      skipCorrupt: opts.skipCorrupt ?? false,
    },
    data.fromStream ? { source: data.fromStream.source, info: data.info } : { info: data.info },
  );
}
