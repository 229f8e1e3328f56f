/**
 * The last step of `evaluateModel`: the figures first, then `metrics.json` (its presence means the
 * evaluation is complete), assembled from what the scoring steps returned and checked against its
 * schema before it is written.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { packageVersion, writeFileAtomic, writeJsonAtomic } from '../core/index.ts';
import { meanInterval } from './bootstrap.ts';
import type { ClickmeResult } from './clickme-eval.ts';
import type { EvaluateOptions } from './evaluate.ts';
import {
  HELD_OUT_FRACTION,
  type EvalInputs,
  type PartStep,
  type PredictionStep,
  type ProbeStep,
  type StepContext,
} from './evaluate-score.ts';
import { predictionSheet, saliencySheet } from './images.ts';
import { EVAL_FORMAT, EvalMetricsSchema, METRICS_FILE, type EvalMetrics } from './metrics.ts';
import type { EvalModel } from './models.ts';
import type { slownessFigures } from './slowness.ts';

/** Everything the scoring steps produced. */
export interface EvalScores {
  probe: ProbeStep;
  part: PartStep;
  ownHead: EvalMetrics['own_head'];
  shortcut: EvalMetrics['shortcut'];
  shapeBias: EvalMetrics['shape_bias'];
  slowness: ReturnType<typeof slownessFigures> | null;
  prediction: PredictionStep;
  clickme: ClickmeResult | null;
}

/** Writes the figure PNGs that have content; returns their names for `metrics.files`. */
async function writeFigures(out: string, data: EvalInputs['data'], s: EvalScores) {
  await mkdir(out, { recursive: true });
  const files = { saliency: [] as string[], prediction: [] as string[] };
  if (s.part.figure.length > 0) {
    await writeFileAtomic(join(out, 'saliency.png'), saliencySheet(s.part.figure, data.h, data.w));
    files.saliency.push('saliency.png');
  }
  if (s.clickme?.figure) {
    await writeFileAtomic(join(out, 'saliency-clickme.png'), s.clickme.figure);
    files.saliency.push('saliency-clickme.png');
  }
  const prediction = s.prediction;
  if (prediction && prediction.examples.length > 0) {
    await writeFileAtomic(
      join(out, 'prediction.png'),
      predictionSheet(prediction.examples, prediction.h, prediction.w),
    );
    files.prediction.push('prediction.png');
  }
  return files;
}

/** The `metrics.json` record; key order is the file's order. */
async function metricsRecord(opts: {
  o: EvaluateOptions;
  c: StepContext;
  model: EvalModel;
  data: EvalInputs['data'];
  backend: string;
  fingerprint: string;
  s: EvalScores;
  files: EvalMetrics['files'];
}): Promise<EvalMetrics> {
  const { o, c, data, s } = opts;
  const { probe: p, part, prediction, clickme } = s;
  const d = opts.model.description;
  return {
    format: EVAL_FORMAT,
    seed: c.seed,
    inputs: {
      model: /^https?:\/\//i.test(o.model) ? o.model : resolve(o.model),
      data: resolve(o.data),
      decorrelated: o.decorrelated ? resolve(o.decorrelated) : null,
      cue_conflict: o.cueConflict ? resolve(o.cueConflict) : null,
      clickme: o.clickme ? resolve(o.clickme) : null,
      max_samples: o.maxSamples ?? null,
      smoothgrad: o.smoothgrad ?? null,
      fingerprint: opts.fingerprint,
    },
    versions: {
      datadiet: await packageVersion(),
      tfjs: tf.version.tfjs,
      backend: opts.backend,
    },
    model: {
      name: d.name,
      kind: d.kind,
      path: d.path,
      ...(d.objective !== undefined ? { objective: d.objective } : {}),
      ...(d.step !== undefined ? { step: d.step } : {}),
      ...(d.format !== undefined ? { format: d.format } : {}),
      input_size: d.input_size,
      ...(d.preprocessing !== undefined ? { preprocessing: d.preprocessing } : {}),
      features: d.features,
      feature_dim: p.feats.dim,
      pooling: d.pooling,
      ...(d.own_head_classes !== undefined ? { own_head_classes: d.own_head_classes } : {}),
      readout: 'probe',
    },
    data: {
      samples: data.n,
      height: data.h,
      width: data.w,
      categories: data.categories,
      classes_present: p.present,
    },
    probe: {
      method: `closed-form ridge on standardised features, one-hot targets, α by ${p.fitted.folds}-fold stratified inner CV on the fit split; seeded stratified split, ${Math.round(HELD_OUT_FRACTION * 100)} % held out`,
      alpha: p.probe.alpha,
      alpha_cv_folds: p.fitted.folds,
      alpha_cv: p.fitted.scores,
      fit: p.split.fit.length,
      held_out: p.split.heldOut.length,
      top1: p.top1,
      top1_ci: meanInterval(p.heldHits, c.rng.fork('top1')),
      chance: 1 / p.present.length,
    },
    own_head: s.ownHead,
    alignment: {
      reference:
        'diagnostic-part maps (parts layer, labelled object) → 64², ClickMe blur (10×10, σ=10) → data size; saliency |∂ probe logit/∂x| max over channels on held-out images; Dice/IoU of pixels above the 90th percentile',
      images: part.scored,
      skipped_no_part: part.skipped,
      skipped_constant_saliency: part.skippedConstant,
      ...part.scores,
    },
    shortcut: s.shortcut,
    shape_bias: s.shapeBias,
    slowness: s.slowness,
    prediction: prediction
      ? {
          clips: prediction.clips,
          frames_per_clip: prediction.frames_per_clip,
          mse: prediction.mse,
          mse_ci: prediction.mse_ci,
          copy_last_mse: prediction.copy_last_mse,
          copy_last_mse_ci: prediction.copy_last_mse_ci,
          ssim: prediction.ssim,
          ssim_ci: prediction.ssim_ci,
          copy_last_ssim: prediction.copy_last_ssim,
          copy_last_ssim_ci: prediction.copy_last_ssim_ci,
          mse_per_t: prediction.mse_per_t,
          copy_last_mse_per_t: prediction.copy_last_mse_per_t,
          ssim_window: prediction.ssim_window,
        }
      : null,
    clickme: clickme ? clickme.metrics : null,
    files: opts.files,
  };
}

/** Figures, then the schema-checked `metrics.json`; returns the record written. */
export async function writeEvaluation(
  opts: Omit<Parameters<typeof metricsRecord>[0], 'files'>,
): Promise<EvalMetrics> {
  const files = await writeFigures(opts.o.out, opts.data, opts.s);
  const metrics = await metricsRecord({ ...opts, files });
  EvalMetricsSchema.parse(metrics);
  await writeJsonAtomic(join(opts.o.out, METRICS_FILE), metrics);
  return metrics;
}
