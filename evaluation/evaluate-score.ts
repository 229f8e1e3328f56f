/**
 * The scoring steps of `evaluateModel`, one function each, in the order it runs them: the probe on
 * --data, saliency against the part maps, the model's own head, shortcut reliance, shape bias,
 * slowness, next-frame prediction and ClickMe. Each takes the shared context and what earlier steps
 * produced and returns its figures; none writes a file. Every random draw is a fork of the one
 * `evaluate` stream named by label, so the order of the steps does not change their numbers.
 */
import type * as tf from '@tensorflow/tfjs';
import { DatadietError, type Rng } from '../core/index.ts';
import { readDataInfo, sequenceFeatures } from '../training/index.ts';
import { bootstrapInterval, differenceInterval, meanInterval } from './bootstrap.ts';
import { clickmeAlignment, type ClickmeResult } from './clickme-eval.ts';
import { extractFeatures } from './features.ts';
import type { EvalMetrics } from './metrics.ts';
import type { EvalModel } from './models.ts';
import {
  cueOutcomes,
  scorePartAlignment,
  shapeBiasValue,
  type CueOutcome,
} from './part-alignment.ts';
import { predictionMetrics } from './prediction.ts';
import {
  argmaxRows,
  fitCvProbe,
  predictRows,
  probeHead,
  splitIndices,
  type LinearProbe,
} from './probe.ts';
import type { ProbeSet } from './probe-data.ts';
import { saliencyMaps, type SmoothGrad } from './saliency.ts';
import { slownessFigures } from './slowness.ts';

/** Share of the probe data held out for accuracy and saliency. */
export const HELD_OUT_FRACTION = 0.3;
/** Images drawn in the saliency figure. */
const FIGURE_ROWS = 6;

export type Progress = (e: { stage: string; done: number; total: number }) => void;

/** What every step reads: the options it needs, the seeded stream and the progress callback. */
export interface StepContext {
  /** --data's folder (slowness and prediction read its sequences again). */
  dataDir: string;
  clickmeDir: string | undefined;
  seed: number;
  maxSamples: number | undefined;
  smoothgrad: SmoothGrad | undefined;
  rng: Rng;
  progress: Progress;
}

/** The checked datasets: --data always, the others when given. */
export interface EvalInputs {
  data: ProbeSet;
  decor: ProbeSet | null;
  cue: ProbeSet | null;
}

type Features = { data: Float32Array; dim: number };

export interface ProbeStep {
  feats: Features;
  split: { fit: number[]; heldOut: number[] };
  fitted: ReturnType<typeof fitCvProbe>;
  probe: LinearProbe;
  /** 1/0 per held-out row: the probe's guess was right. */
  heldHits: number[];
  top1: number;
  /** Labels present in --data, ascending. */
  present: number[];
}

const mean = (v: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return v.length > 0 ? s / v.length : NaN;
};
const allRows = (n: number) => Array.from({ length: n }, (_, i) => i);

/** One readout for every model: a ridge probe on frozen features, α by inner CV on the fit rows. */
export async function fitDataProbe(
  c: StepContext,
  model: EvalModel,
  data: ProbeSet,
): Promise<ProbeStep> {
  const feats = await extractFeatures({
    ...data,
    features: (x) => model.features(x),
    onBatch: (d) => c.progress({ stage: 'features', done: d, total: data.n }),
  });
  const split = splitIndices({
    labels: data.labels,
    heldOutFraction: HELD_OUT_FRACTION,
    rng: c.rng.fork('probe-split'),
  });
  if (split.heldOut.length === 0 || split.fit.length < 2) {
    throw new DatadietError(
      'EVAL_DATA_UNUSABLE',
      `data ${c.dataDir}: ${data.n} labelled samples are too few for a probe with a held-out part`,
      {
        hint: 'use a dataset with more sequences (at least 2 per category)',
        field: { config: 'evaluate', path: 'data' },
      },
    );
  }
  const fitted = fitCvProbe({
    features: feats.data,
    dim: feats.dim,
    labels: data.labels,
    idx: split.fit,
    numClasses: data.categories.length,
    rng: c.rng.fork('alpha-cv'),
  });
  const probe = fitted.probe;
  const heldPred = predictRows(probe, feats.data, split.heldOut);
  const heldHits = split.heldOut.map((r, i) => (heldPred[i] === data.labels[r] ? 1 : 0));
  const present = [...new Set(data.labels)].sort((a, b) => a - b);
  return { feats, split, fitted, probe, heldHits, top1: mean(heldHits), present };
}

export type PartStep = Awaited<ReturnType<typeof partScores>>;

/** Saliency of `logits`' true class on the held-out images, scored against the part maps. */
async function partScores(
  c: StepContext,
  data: ProbeSet,
  heldOut: number[],
  logits: (x: tf.Tensor4D) => tf.Tensor2D,
  label: string,
) {
  c.progress({ stage: label, done: 0, total: heldOut.length });
  const maps = await saliencyMaps({
    logits,
    images: data.images,
    h: data.h,
    w: data.w,
    rows: heldOut,
    labels: data.labels,
    numClasses: data.categories.length,
    smoothgrad: c.smoothgrad,
    rng: c.rng.fork(label),
    onBatch: (d) => c.progress({ stage: label, done: d, total: heldOut.length }),
  });
  const scored = scorePartAlignment({ set: data, rows: heldOut, maps, figureRows: FIGURE_ROWS });
  const r = c.rng.fork(`${label}/bootstrap`);
  const p = scored.perImage;
  return {
    ...scored,
    scores: {
      spearman: mean(p.spearman),
      spearman_ci: meanInterval(p.spearman, r.fork('spearman')),
      dice: mean(p.dice),
      dice_ci: meanInterval(p.dice, r.fork('dice')),
      iou: mean(p.iou),
      iou_ci: meanInterval(p.iou, r.fork('iou')),
    },
  };
}

/** Saliency of the probe's true-class logit against the part maps; refuses data it cannot score. */
export async function probeSaliency(
  c: StepContext,
  model: EvalModel,
  data: ProbeSet,
  p: ProbeStep,
): Promise<PartStep> {
  const head = probeHead(p.probe);
  const part = await partScores(
    c,
    data,
    p.split.heldOut,
    (x) => head.apply(model.features(x)),
    'saliency',
  );
  head.dispose();
  if (part.scored === 0) {
    throw new DatadietError(
      'EVAL_DATA_UNUSABLE',
      `data ${c.dataDir}: no held-out image shows its object's diagnostic part with a non-constant saliency, so alignment cannot be scored`,
      {
        hint: 'use a dataset where objects are in view (e.g. preset single-object) or more sequences',
        field: { config: 'evaluate', path: 'data' },
      },
    );
  }
  return part;
}

/**
 * The model's own head, in its own columns, only when it is over these categories (an ImageNet
 * head scores ClickMe, apart too).
 */
export async function ownHeadScores(
  c: StepContext,
  model: EvalModel,
  data: ProbeSet,
  p: ProbeStep,
): Promise<EvalMetrics['own_head']> {
  const own = model.description.own_head_classes;
  if (model.logits === undefined || own !== data.categories.length) return null;
  const logitsFn = model.logits;
  const lg = await extractFeatures({ ...data, features: (x) => logitsFn(x) });
  const pred = argmaxRows(Float64Array.from(lg.data), data.n, lg.dim);
  const hits = p.split.heldOut.map((r) => (pred[r] === data.labels[r] ? 1 : 0));
  const ownPart = await partScores(c, data, p.split.heldOut, logitsFn, 'own-head saliency');
  return {
    classes: own,
    top1: mean(hits),
    top1_ci: meanInterval(hits, c.rng.fork('own-top1')),
    images: ownPart.scored,
    ...ownPart.scores,
  };
}

/**
 * Shortcut reliance, with the probe fitted on --data. Returns the decorrelated features too: shape
 * bias fits its main probe on them.
 */
export async function shortcutScores(
  c: StepContext,
  model: EvalModel,
  decor: ProbeSet | null,
  p: ProbeStep,
): Promise<{ shortcut: EvalMetrics['shortcut']; decorFeats: Features | null }> {
  if (!decor) return { shortcut: null, decorFeats: null };
  const { rng } = c;
  c.progress({ stage: 'decorrelated', done: 0, total: decor.n });
  const decorFeats = await extractFeatures({ ...decor, features: (x) => model.features(x) });
  const pred = predictRows(p.probe, decorFeats.data, allRows(decor.n));
  const hits = Array.from(pred, (q, i) => (q === decor.labels[i] ? 1 : 0));
  const acc = mean(hits);
  // Object decodability where the background cannot help: a probe fitted on part of the
  // decorrelated split (stratified, α by the same inner CV), scored on the rest. For a
  // label-free encoder the probe's data, not the encoder, decides whether ground is used.
  const dSplit = splitIndices({
    labels: decor.labels,
    heldOutFraction: HELD_OUT_FRACTION,
    rng: rng.fork('decorrelated-probe-split'),
  });
  const dProbe = fitCvProbe({
    features: decorFeats.data,
    dim: decorFeats.dim,
    labels: decor.labels,
    idx: dSplit.fit,
    numClasses: decor.categories.length,
    rng: rng.fork('alpha-cv/decorrelated-probe'),
  }).probe;
  const dPred = predictRows(dProbe, decorFeats.data, dSplit.heldOut);
  const dHits = dSplit.heldOut.map((r, i) => (dPred[i] === decor.labels[r] ? 1 : 0));
  const shortcut = {
    decorrelated_probe_top1: mean(dHits),
    decorrelated_probe_top1_ci: meanInterval(dHits, rng.fork('decorrelated-probe-top1')),
    decorrelated_probe_held_out: dHits.length,
    correlated_top1: p.top1,
    decorrelated_top1: acc,
    decorrelated_top1_ci: meanInterval(hits, rng.fork('decorrelated-top1')),
    drop: p.top1 - acc,
    drop_ci: differenceInterval(p.heldHits, hits, rng.fork('drop')),
    decorrelated_samples: decor.n,
  };
  return { shortcut, decorFeats };
}

/** Shape-bias counts, value and coverage of one probe's cue-conflict guesses, with intervals. */
function shapeBiasSummary(outcomes: CueOutcome[], r: Rng) {
  const count = (k: CueOutcome) => outcomes.filter((v) => v === k).length;
  const value = shapeBiasValue(outcomes);
  const decided = outcomes.map((v) => (v === 'neither' ? 0 : 1));
  return {
    shape: count('shape'),
    texture: count('texture'),
    neither: count('neither'),
    value: Number.isFinite(value) ? value : null,
    value_ci: bootstrapInterval({
      sizes: [outcomes.length],
      statistic: ([i]) => shapeBiasValue(Array.from(i!, (k) => outcomes[k]!)),
      rng: r.fork('value'),
    }),
    coverage: mean(decided),
    coverage_ci: meanInterval(decided, r.fork('coverage')),
  };
}

/**
 * Shape bias: the main probe is fitted on the decorrelated split when there is one, so the
 * background (random there) cannot decide a cue-conflict guess; the --data probe is kept apart.
 */
export async function shapeBiasScores(
  c: StepContext,
  model: EvalModel,
  inputs: EvalInputs,
  p: ProbeStep,
  decorFeats: Features | null,
): Promise<EvalMetrics['shape_bias']> {
  const { cue, decor } = inputs;
  if (!cue) return null;
  const { rng } = c;
  c.progress({ stage: 'cue-conflict', done: 0, total: cue.n });
  const cueFeats = await extractFeatures({ ...cue, features: (x) => model.features(x) });
  const outcomesWith = (q: LinearProbe) =>
    cueOutcomes(cue, predictRows(q, cueFeats.data, allRows(cue.n)));
  const dataProbe = shapeBiasSummary(outcomesWith(p.probe), rng.fork('shape-bias/data'));
  const images = cueOutcomes(cue, new Int32Array(cue.n)).length;
  if (!(decor && decorFeats)) {
    return { probe_fit: 'data', cue_conflict_images: images, ...dataProbe, data_probe: null };
  }
  const decorProbe = fitCvProbe({
    features: decorFeats.data,
    dim: decorFeats.dim,
    labels: decor.labels,
    idx: allRows(decor.n),
    numClasses: inputs.data.categories.length,
    rng: rng.fork('alpha-cv/decorrelated'),
  }).probe;
  const main = shapeBiasSummary(outcomesWith(decorProbe), rng.fork('shape-bias/decorrelated'));
  const { coverage_ci: _c, ...dataOnly } = dataProbe;
  return { probe_fit: 'decorrelated', cue_conflict_images: images, ...main, data_probe: dataOnly };
}

/** Slowness of the same features on --data's sequences, every frame (none for still images). */
export async function slownessScores(
  c: StepContext,
  model: EvalModel,
): Promise<ReturnType<typeof slownessFigures> | null> {
  c.progress({ stage: 'slowness', done: 0, total: 1 });
  if ((await readDataInfo(c.dataDir)).frames < 2) return null;
  const seqs = await sequenceFeatures({ dir: c.dataDir, apply: (x) => model.features(x) });
  const limited = seqs.sequences.slice(0, c.maxSamples ?? Infinity);
  return limited.length > 0 ? slownessFigures(limited, seqs.dim, c.rng.fork('slowness')) : null;
}

export type PredictionStep = Awaited<ReturnType<typeof predictionMetrics>> | null;

/** Next-frame prediction against copy-last-frame, for models that predict frames (PredNet). */
export async function predictionScores(c: StepContext, model: EvalModel): Promise<PredictionStep> {
  if (!model.predictFrames) return null;
  c.progress({ stage: 'next-frame prediction', done: 0, total: 1 });
  const info = await readDataInfo(c.dataDir);
  if (info.frames < 2) return null;
  return predictionMetrics({
    data: c.dataDir,
    predictFrames: model.predictFrames,
    size: model.description.input_size,
    clipLength: Math.min(info.frames, 8),
    maxClips: Math.min(c.maxSamples ?? 32, 32),
    seed: c.seed,
  });
}

/** The honest k-fold probe on ClickMe, when its shards were given. */
export async function clickmeScores(
  c: StepContext,
  model: EvalModel,
): Promise<ClickmeResult | null> {
  if (!c.clickmeDir) return null;
  c.progress({ stage: 'clickme', done: 0, total: 1 });
  return clickmeAlignment({
    model,
    dir: c.clickmeDir,
    seed: c.seed,
    maxSamples: c.maxSamples,
    smoothgrad: c.smoothgrad,
    onProgress: c.progress,
  });
}
