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
  saveCheckpoint,
  type CheckpointMeta,
} from './checkpoint.ts';
import {
  TRAIN_FLAG_FOR_FIELD,
  TrainConfigSchema,
  type TrainConfig,
  type TrainConfigInput,
} from './config.ts';
import { lossCurveSvg } from './curve.ts';
import { METRICS_FILE, readRunMetrics } from './run-metrics.ts';
import { createLoader, disposeBatch, readDataInfo, type LoaderState } from './loader.ts';
import type { SampleSource, SkipReport } from './sources.ts';
import { streamManifest, streamSource, type StreamSourceOptions } from './stream-source.ts';
import type { ModelShape, ObjectiveModel } from './objective.ts';
import { findObjective } from './objectives/index.ts';

export interface StepInfo {
  step: number;
  /** The step this invocation started from (a resumed run's checkpoint). */
  startStep: number;
  totalSteps: number;
  loss: number;
  imagesPerSecond: number;
}

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

export const CURVE_FILE = 'loss.svg';
/** The run's record of its data: where from, the loader's position, what was skipped. */
export const RUN_FILE = 'run.json';

// Fields that shape the model or its data: a resumed run must agree on them.
const modelKey = (c: TrainConfig) =>
  JSON.stringify([c.objective, c.encoder, c.sfa, c.prednet, c.egomotion, c.clip, c.size]);

/** Builds a fresh model for a config and data shape (also used to rebuild from a checkpoint). */
export function buildModel(config: TrainConfig, shape: ModelShape): ObjectiveModel {
  return findObjective(config.objective).create({
    config,
    shape,
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

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? (() => {});
  const parsed = TrainConfigSchema.safeParse(opts.config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // egomotion.targets.1 → --motion-targets, item 2
    const at = issue.path.findIndex((k) => typeof k === 'number');
    const field = (at < 0 ? issue.path : issue.path.slice(0, at)).join('.');
    const flag = TRAIN_FLAG_FOR_FIELD[field];
    const item = at < 0 ? '' : `, item ${Number(issue.path[at]) + 1}`;
    throw new DatadietError(
      'CLI_USAGE',
      `${flag ?? `train config ${field}`}${item}: ${issue.message}`,
      {
        hint: flag
          ? `pass a valid ${flag}; \`datadiet train --help\` lists the values`
          : 'see `datadiet train --help`',
      },
    );
  }
  const objective = findObjective(parsed.data.objective);
  // Resolved here, so config.json and the checkpoints record the rate actually used.
  const config = { ...parsed.data, lr: parsed.data.lr ?? objective.defaultLr ?? 1e-3 };
  const backend = await selectBackend(opts.backend ?? 'auto');
  log(
    `backend: ${backend.name} (${backend.reason})${backend.addedKernels.length ? `; registered ${backend.addedKernels.join(', ')}` : ''}`,
  );

  const needs = objective.needs(config);
  if ((opts.data === undefined) === (opts.stream === undefined)) {
    throw new DatadietError('CLI_USAGE', 'train needs either --data DIR or --stream', {
      hint: 'pass a dataset folder, or --stream with --preset NAME or --spec FILE',
    });
  }
  let fromStream:
    { source: SampleSource; fingerprint: string; spec: StreamSourceOptions['spec'] } | undefined;
  let info;
  if (opts.stream) {
    if (config.objective === 'sfa-linear') {
      throw new DatadietError('CLI_USAGE', `${config.objective} fits on a dataset on disk`, {
        hint: 'generate the dataset first and pass --data, or pick a gradient objective',
      });
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
  const dataName = opts.data ?? `stream of ${opts.stream?.spec.name}`;
  if (needs.motion && info.motionColumns.length === 0) {
    throw new DatadietError(
      'MODEL_DATA_MISMATCH',
      `${config.objective} needs the self-motion signals (<key>.motion.npy) that ${dataName} lacks`,
      { hint: 'regenerate the dataset with this version of datadiet (it writes <key>.motion.npy)' },
    );
  }
  const shape: ModelShape = {
    height: config.size ?? info.height,
    width: config.size ?? info.width,
    numClasses: info.numClasses,
  };

  // Resume: the newest checkpoint must come from the same model on data of the same shape.
  await mkdir(opts.out, { recursive: true });
  const stale = await removeStaleCheckpointTemps(opts.out);
  if (stale.length) log(`removed ${stale.length} unfinished checkpoint folder(s) of a killed run`);
  const latest = await latestCheckpoint(opts.out);
  const resumed = latest === null ? null : await loadCheckpoint(latest);
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
        `checkpoint ${latest} expects ${resumed.meta.shape.height}×${resumed.meta.shape.width} frames and ${resumed.meta.shape.numClasses} categories; ${dataName} gives ${shape.height}×${shape.width} and ${shape.numClasses}`,
        { hint: 'pass --size to match, or train into a new --out' },
      );
    }
  }
  const dataRecord = opts.stream
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
  if (resumed?.meta.loader && (resumed.meta.source ?? 'dataset') !== source) {
    throw new DatadietError(
      'RUN_MISMATCH',
      `${opts.out} was trained on ${resumed.meta.source ?? 'a dataset'}, not on this ${fromStream ? 'stream' : 'dataset'}`,
      {
        hint: 'resume with the same --data or --stream spec, seed and --replay, or use a new --out',
      },
    );
  }
  const startStep = resumed?.meta.step ?? 0;
  const model = buildModel(config, shape);
  log(
    `objective: ${config.objective}; ${model.params.count()} parameters; data ${info.height}×${info.width}×${info.frames} frames → clips of ${needs.clipLength} at ${shape.height}×${shape.width}`,
  );
  const optimizer = tf.train.adam(config.lr);
  if (resumed) {
    assignWeights(model.params, resumed.weights, latest as string);
    await restoreOptimizer(optimizer, resumed);
    tf.dispose(Object.values(resumed.weights));
    log(`resuming from ${latest} (step ${startStep})`);
  }
  await writeFileAtomic(
    join(opts.out, 'config.json'),
    `${JSON.stringify({ data: dataRecord, config }, null, 2)}\n`,
  );

  const resumedMetrics = (await readRunMetrics(opts.out)).filter((m) => m.step <= startStep);
  const metricLines = resumedMetrics.map((m) => JSON.stringify(m));
  const losses = resumedMetrics.map(({ step, loss }) => ({ step, loss }));
  const loader = await createLoader(
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
    fromStream ? { source: fromStream.source, info } : { info },
  );
  let loaderState: LoaderState | undefined = resumed?.meta.loader;
  if (resumed && !loaderState && !model.fit && startStep < config.steps) {
    log(`${latest} predates saved loader state: the data order restarts from the beginning`);
  }

  const meta = (step: number): CheckpointMeta => ({
    format: 'datadiet-checkpoint/1.0',
    step,
    objective: config.objective,
    config,
    shape,
    backend: backend.name,
    ...(loaderState ? { loader: loaderState, source } : {}),
  });
  const writeOutputs = async () => {
    await writeFileAtomic(join(opts.out, METRICS_FILE), metricLines.map((l) => `${l}\n`).join(''));
    await writeFileAtomic(
      join(opts.out, RUN_FILE),
      `${JSON.stringify(
        {
          data: dataRecord,
          step,
          position: loaderState
            ? {
                batches: loaderState.batches,
                ordinal: loaderState.group,
                clip: loaderState.clip,
                ...(opts.stream
                  ? { sequence: Math.floor(loaderState.group / (opts.stream.replay ?? 1)) }
                  : {}),
              }
            : null,
          skipped: loader.skipped,
        },
        null,
        2,
      )}\n`,
    );
    await writeFileAtomic(
      join(opts.out, CURVE_FILE),
      lossCurveSvg(losses, `${config.objective} — ${opts.out}`),
    );
  };

  const batches = loader.batches(startStep > 0 ? loaderState : undefined);
  if (model.prepare && startStep === 0 && config.steps > 0) {
    // Before the first step of a fresh run (objective.ts); a resumed run has it in its weights.
    const prepared = await model
      .prepare(async () => {
        const n = await batches.next();
        if (n.done) return undefined;
        loaderState = n.value.state;
        return n.value;
      })
      .catch(async (e: unknown) => {
        await batches.return(undefined); // stop a stream's browsers
        throw e;
      });
    await writeFileAtomic(
      join(opts.out, 'prepared.json'),
      `${JSON.stringify(prepared, null, 2)}\n`,
    );
  }
  let step = startStep;
  let checkpoint: string | null = latest;
  let savedStep = startStep;
  const vars = model.params.list();
  const imagesPerBatch = (b: number) => b * needs.clipLength * (needs.eyes === 'both' ? 2 : 1);
  const started = performance.now();
  let images = 0;
  try {
    if (model.fit && step === 0 && config.steps > 0) {
      // Closed form: one fit is the whole run, recorded as step 1.
      const t0 = performance.now();
      const extra = await model.fit({
        data: opts.data as string,
        heldOutEvery: config.heldOutEvery,
        size: config.size === undefined ? undefined : [config.size, config.size],
      });
      step = 1;
      const deltas = Array.isArray(extra.delta) ? extra.delta : [];
      const loss = deltas.reduce((a, b) => a + b, 0) / Math.max(1, deltas.length);
      metricLines.push(
        JSON.stringify({
          step,
          loss,
          elapsed_s: +((performance.now() - t0) / 1000).toFixed(2),
          ...extra,
        }),
      );
      losses.push({ step, loss });
      opts.onStep?.({ step, startStep, totalSteps: 1, loss, imagesPerSecond: 0 });
      checkpoint = await saveCheckpoint({
        runDir: opts.out,
        meta: meta(step),
        params: model.params,
      });
    }
    while (!model.fit && step < config.steps) {
      let next;
      try {
        next = await batches.next();
      } catch (e) {
        // A stream that cannot render (or data that turns out damaged) stops the run, but the
        // steps taken so far are kept: a rerun resumes from here.
        if (step > startStep && step !== savedStep) {
          checkpoint = await saveCheckpoint({
            runDir: opts.out,
            meta: meta(step),
            params: model.params,
            optimizer,
          });
          await writeOutputs();
          log(`stopped at step ${step}; checkpoint ${checkpoint}`);
        }
        throw e;
      }
      if (next.done) break;
      const batch = next.value;
      step++;
      loaderState = batch.state;
      const cost = optimizer.minimize(() => model.loss(batch), true, vars);
      const loss = cost ? (await cost.data())[0]! : NaN;
      cost?.dispose();
      if (!Number.isFinite(loss)) {
        disposeBatch(batch);
        throw new DatadietError('MODEL_DATA_MISMATCH', `loss became ${loss} at step ${step}`, {
          hint: 'lower --lr',
        });
      }
      images += imagesPerBatch(batch.keys.length);
      const seconds = (performance.now() - started) / 1000;
      const ips = images / Math.max(1e-6, seconds);
      const record: Record<string, unknown> = {
        step,
        loss: +loss.toPrecision(7),
        images_per_s: +ips.toFixed(2),
        elapsed_s: +seconds.toFixed(2),
      };
      if (model.metrics && (step % config.logEvery === 0 || step === config.steps)) {
        Object.assign(record, await model.metrics(batch));
      }
      disposeBatch(batch);
      if (model.calibrate && step === config.steps) {
        // After the last step, before the final checkpoint (objective.ts says why).
        Object.assign(
          record,
          await model.calibrate(async () => {
            const n = await batches.next();
            return n.done ? undefined : n.value;
          }),
        );
      }
      metricLines.push(JSON.stringify(record));
      losses.push({ step, loss });
      opts.onStep?.({ step, startStep, totalSteps: config.steps, loss, imagesPerSecond: ips });
      if (step % config.checkpointEvery === 0 || step === config.steps) {
        savedStep = step;
        checkpoint = await saveCheckpoint({
          runDir: opts.out,
          meta: meta(step),
          params: model.params,
          optimizer,
        });
        await writeOutputs();
      }
    }
  } finally {
    await batches.return(undefined);
    // A stream's --cache writes its short last shard and manifest here.
    await loader.source.close();
  }
  await writeOutputs();
  optimizer.dispose();
  return {
    backend,
    config,
    startStep,
    step,
    losses: losses.filter((l) => l.step > startStep),
    checkpoint,
    model,
    shape,
    skipped: loader.skipped,
  };
}
