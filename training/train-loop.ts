/**
 * The step loop of one training run as a small class holding what the loop changes: the step, the
 * loader's position, the newest checkpoint and the metric lines. `train` (train.ts) sets the run up
 * (config, data, resume point, model) and hands it here; the methods are the loop's named steps:
 * prepare → fit (closed form) or take gradient steps → checkpoint → finish.
 */
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { writeFileAtomic, DatadietError } from '../core/index.ts';
import { saveCheckpoint, type CheckpointMeta } from './checkpoint.ts';
import type { TrainConfig } from './config.ts';
import { lossCurveSvg } from './curve.ts';
import { disposeBatch, type createLoader, type LoaderState } from './loader.ts';
import type { LoaderNeeds, ModelShape, ObjectiveModel } from './objective.ts';
import { METRICS_FILE } from './run-metrics.ts';
import type { StreamSourceOptions } from './stream-source.ts';

export const CURVE_FILE = 'loss.svg';
/** The run's record of its data: where from, the loader's position, what was skipped. */
export const RUN_FILE = 'run.json';

export interface StepInfo {
  step: number;
  /** The step this invocation started from (a resumed run's checkpoint). */
  startStep: number;
  totalSteps: number;
  loss: number;
  imagesPerSecond: number;
}

type Loader = Awaited<ReturnType<typeof createLoader>>;
type Batches = ReturnType<Loader['batches']>;

/** Everything `train` set up before the first step. */
export interface LoopSetup {
  out: string;
  data: string | undefined;
  stream: StreamSourceOptions | undefined;
  config: TrainConfig;
  needs: LoaderNeeds;
  shape: ModelShape;
  backendName: string;
  model: ObjectiveModel;
  optimizer: tf.Optimizer;
  loader: Loader;
  /** What `config.json` and `run.json` say the data was. */
  dataRecord: unknown;
  /** `dataset`, or `stream:<fingerprint>`: a resume must read the same. */
  source: string;
  startStep: number;
  /** The checkpoint resumed from, if any. */
  latest: string | null;
  loaderState: LoaderState | undefined;
  /** Metric lines and losses of the resumed run up to its checkpoint. */
  metricLines: string[];
  losses: { step: number; loss: number }[];
  log: (line: string) => void;
  onStep?: ((info: StepInfo) => void) | undefined;
}

export class TrainLoop {
  step: number;
  checkpoint: string | null;
  private savedStep: number;
  private loaderState: LoaderState | undefined;
  private readonly batches: Batches;
  private images = 0;
  private started = 0;

  constructor(private readonly s: LoopSetup) {
    this.step = s.startStep;
    this.savedStep = s.startStep;
    this.checkpoint = s.latest;
    this.loaderState = s.loaderState;
    this.batches = s.loader.batches(s.startStep > 0 ? s.loaderState : undefined);
  }

  /** Every loss of the run, the resumed part included. */
  get losses(): { step: number; loss: number }[] {
    return this.s.losses;
  }

  /** Shards and samples the loader left out (`skipCorrupt`). */
  get skipped() {
    return this.s.loader.skipped;
  }

  /** The whole loop: prepare, then the closed-form fit or the gradient steps, then outputs. */
  async run(): Promise<void> {
    await this.prepare();
    this.started = performance.now();
    try {
      if (this.s.model.fit && this.step === 0 && this.s.config.steps > 0) await this.fit();
      await this.gradientSteps();
    } finally {
      await this.batches.return(undefined);
      // A stream's --cache writes its short last shard and manifest here.
      await this.s.loader.source.close();
    }
    await this.writeOutputs();
  }

  /** Before the first step of a fresh run (objective.ts); a resumed run has it in its weights. */
  private async prepare(): Promise<void> {
    const { model, config, out } = this.s;
    if (!(model.prepare && this.s.startStep === 0 && config.steps > 0)) return;
    const prepared = await model
      .prepare(async () => {
        const n = await this.batches.next();
        if (n.done) return undefined;
        this.loaderState = n.value.state;
        return n.value;
      })
      .catch(async (e: unknown) => {
        await this.batches.return(undefined); // stop a stream's browsers
        throw e;
      });
    await writeFileAtomic(join(out, 'prepared.json'), `${JSON.stringify(prepared, null, 2)}\n`);
  }

  /** Closed form: one fit is the whole run, recorded as step 1. */
  private async fit(): Promise<void> {
    const { model, config } = this.s;
    const t0 = performance.now();
    const extra = await model.fit!({
      data: this.s.data as string,
      heldOutEvery: config.heldOutEvery,
      size: config.size === undefined ? undefined : [config.size, config.size],
    });
    this.step = 1;
    const step = this.step;
    const deltas = Array.isArray(extra.delta) ? extra.delta : [];
    const loss = deltas.reduce((a, b) => a + b, 0) / Math.max(1, deltas.length);
    this.s.metricLines.push(
      JSON.stringify({
        step,
        loss,
        elapsed_s: +((performance.now() - t0) / 1000).toFixed(2),
        ...extra,
      }),
    );
    this.s.losses.push({ step, loss });
    this.s.onStep?.({ step, startStep: this.s.startStep, totalSteps: 1, loss, imagesPerSecond: 0 });
    this.checkpoint = await saveCheckpoint({
      runDir: this.s.out,
      meta: this.meta(step),
      params: model.params,
    });
  }

  /** Adam steps until `config.steps` or the data runs out, checkpointing every `checkpointEvery`. */
  private async gradientSteps(): Promise<void> {
    const { model, config } = this.s;
    const vars = model.params.list();
    while (!model.fit && this.step < config.steps) {
      const batch = await this.nextBatch();
      if (batch === undefined) break;
      this.step++;
      const step = this.step;
      this.loaderState = batch.state;
      const cost = this.s.optimizer.minimize(() => model.loss(batch), true, vars);
      const loss = cost ? (await cost.data())[0]! : NaN;
      cost?.dispose();
      if (!Number.isFinite(loss)) {
        disposeBatch(batch);
        throw new DatadietError('MODEL_DATA_MISMATCH', `loss became ${loss} at step ${step}`, {
          hint: 'lower --lr',
        });
      }
      const { record, ips } = await this.stepRecord(batch, loss);
      this.s.metricLines.push(JSON.stringify(record));
      this.s.losses.push({ step, loss });
      this.s.onStep?.({
        step,
        startStep: this.s.startStep,
        totalSteps: config.steps,
        loss,
        imagesPerSecond: ips,
      });
      if (step % config.checkpointEvery === 0 || step === config.steps) {
        this.savedStep = step;
        await this.saveWithOptimizer();
        await this.writeOutputs();
      }
    }
  }

  /**
   * The next batch, or undefined at the end of the data. A stream that cannot render (or data
   * that turns out damaged) stops the run, but the steps taken so far are kept: a rerun resumes
   * from here.
   */
  private async nextBatch() {
    try {
      const next = await this.batches.next();
      return next.done ? undefined : next.value;
    } catch (e) {
      if (this.step > this.s.startStep && this.step !== this.savedStep) {
        await this.saveWithOptimizer();
        await this.writeOutputs();
        this.s.log(`stopped at step ${this.step}; checkpoint ${this.checkpoint}`);
      }
      throw e;
    }
  }

  /** The metrics line of a step (and the objective's own metrics and calibration when due). */
  private async stepRecord(
    batch: Parameters<ObjectiveModel['loss']>[0],
    loss: number,
  ): Promise<{ record: Record<string, unknown>; ips: number }> {
    const { model, config, needs } = this.s;
    const step = this.step;
    this.images += batch.keys.length * needs.clipLength * (needs.eyes === 'both' ? 2 : 1);
    const seconds = (performance.now() - this.started) / 1000;
    const ips = this.images / Math.max(1e-6, seconds);
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
          const n = await this.batches.next();
          return n.done ? undefined : n.value;
        }),
      );
    }
    return { record, ips };
  }

  private async saveWithOptimizer(): Promise<void> {
    this.checkpoint = await saveCheckpoint({
      runDir: this.s.out,
      meta: this.meta(this.step),
      params: this.s.model.params,
      optimizer: this.s.optimizer,
    });
  }

  private meta(step: number): CheckpointMeta {
    const { config, shape, backendName, source } = this.s;
    return {
      format: 'datadiet-checkpoint/1.0',
      step,
      objective: config.objective,
      config,
      shape,
      backend: backendName,
      ...(this.loaderState ? { loader: this.loaderState, source } : {}),
    };
  }

  /** metrics.jsonl, run.json (data record, loader position, skips) and the loss curve. */
  private async writeOutputs(): Promise<void> {
    const { out, config, stream, loader } = this.s;
    const loaderState = this.loaderState;
    await writeFileAtomic(
      join(out, METRICS_FILE),
      this.s.metricLines.map((l) => `${l}\n`).join(''),
    );
    await writeFileAtomic(
      join(out, RUN_FILE),
      `${JSON.stringify(
        {
          data: this.s.dataRecord,
          step: this.step,
          position: loaderState
            ? {
                batches: loaderState.batches,
                ordinal: loaderState.group,
                clip: loaderState.clip,
                ...(stream
                  ? { sequence: Math.floor(loaderState.group / (stream.replay ?? 1)) }
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
      join(out, CURVE_FILE),
      lossCurveSvg(this.s.losses, `${config.objective} — ${out}`),
    );
  }
}
