/**
 * One model, one evaluation folder: a linear probe on frozen features, gradient saliency of the
 * true-class logit, its alignment with the renderer's diagnostic-part maps (blurred as ClickMe
 * does), shortcut reliance, shape bias, next-frame prediction (PredNet) and, with ClickMe data,
 * the honest k-fold probe there. Everything is loaded and checked before anything is written, and
 * `metrics.json` is written last, so a failed run leaves no half a result; a rerun whose inputs
 * fingerprint matches the existing `metrics.json` returns it without recomputing.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  DatadietError,
  packageVersion,
  Rng,
  stableJson,
  writeFileAtomic,
  writeJsonAtomic,
} from '../core/index.ts';
import { readDataInfo, selectBackend, sequenceFeatures } from '../training/index.ts';
import { bootstrapInterval, differenceInterval, meanInterval } from './bootstrap.ts';
import { clickmeAlignment, type ClickmeResult } from './clickme-eval.ts';
import { extractFeatures } from './features.ts';
import { predictionSheet, saliencySheet } from './images.ts';
import {
  cueOutcomes,
  scorePartAlignment,
  shapeBiasValue,
  type CueOutcome,
} from './part-alignment.ts';
import { EVAL_FORMAT, EvalMetricsSchema, METRICS_FILE, type EvalMetrics } from './metrics.ts';
import { loadEvalModel } from './models.ts';
import { predictionMetrics } from './prediction.ts';
import {
  argmaxRows,
  fitCvProbe,
  predictRows,
  probeHead,
  splitIndices,
  type LinearProbe,
} from './probe.ts';
import { loadProbeSet, type ProbeSet } from './probe-data.ts';
import { saliencyMaps, type SmoothGrad } from './saliency.ts';
import { slownessFigures } from './slowness.ts';

export interface EvaluateOptions {
  /** A run folder, a checkpoint folder, or a baseline descriptor JSON. */
  model: string;
  /** Rendered probe data with labels and `parts` (the correlated split for shortcut tests). */
  data: string;
  decorrelated?: string | undefined;
  cueConflict?: string | undefined;
  clickme?: string | undefined;
  out: string;
  seed?: number | undefined;
  /** At most this many sequences from each dataset (and ClickMe images). */
  maxSamples?: number | undefined;
  smoothgrad?: SmoothGrad | undefined;
  /** tfjs backend (`auto` when omitted and none was chosen yet). */
  backend?: string | undefined;
  /** Node/value (ONNX) or layer/node (tfjs baseline) the probe reads. */
  features?: string | undefined;
  onProgress?: (e: { stage: string; done: number; total: number }) => void;
}

/** Share of the probe data held out for accuracy and saliency. */
export const HELD_OUT_FRACTION = 0.3;
/** Images drawn in the saliency figure. */
const FIGURE_ROWS = 6;

let backendChosen = false;
async function ensureBackend(name: string | undefined): Promise<string> {
  if (name !== undefined || !backendChosen) {
    await selectBackend(name ?? 'auto');
    backendChosen = true;
  }
  return tf.getBackend();
}

function fingerprintOf(o: EvaluateOptions, parts: unknown): string {
  return createHash('sha256')
    .update(
      stableJson({
        format: EVAL_FORMAT,
        parts,
        seed: o.seed ?? 0,
        maxSamples: o.maxSamples ?? null,
        smoothgrad: o.smoothgrad ?? null,
        ...(o.features !== undefined ? { features: o.features } : {}),
      }),
    )
    .digest('hex');
}

/**
 * ClickMe shards by name, size and modification time: replaced shards at the same path must not
 * reuse old metrics, and hashing gigabytes of JPEGs on every run would cost more than it saves.
 */
async function clickmeIdentity(dir: string): Promise<unknown> {
  const root = resolve(dir);
  try {
    const names = (await readdir(root)).filter((n) => n.endsWith('.tfrecords')).sort();
    const files = await Promise.all(
      names.map(async (n) => {
        const s = await stat(join(root, n));
        return [n, s.size, s.mtimeMs];
      }),
    );
    return { dir: root, files };
  } catch {
    return { dir: root, files: null }; // loadClickMe reports a missing folder with its own code
  }
}

async function readExisting(out: string): Promise<EvalMetrics | null> {
  try {
    const parsed = EvalMetricsSchema.safeParse(
      JSON.parse(await readFile(join(out, METRICS_FILE), 'utf8')),
    );
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function sameCategories(a: ProbeSet, b: ProbeSet, flag: string) {
  if (a.categories.join() !== b.categories.join()) {
    throw new DatadietError(
      'EVAL_DATA_UNUSABLE',
      `${flag} ${b.dir} numbers its categories differently from --data ${a.dir}`,
      { hint: 'generate both datasets with the same datadiet version and category list' },
    );
  }
}

const mean = (v: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return v.length > 0 ? s / v.length : NaN;
};
const allRows = (n: number) => Array.from({ length: n }, (_, i) => i);

export async function evaluateModel(o: EvaluateOptions): Promise<EvalMetrics> {
  const progress = o.onProgress ?? (() => {});
  const seed = o.seed ?? 0;
  if (o.maxSamples !== undefined && !(Number.isInteger(o.maxSamples) && o.maxSamples >= 4)) {
    throw new DatadietError(
      'CLI_USAGE',
      `--max-samples must be an integer ≥ 4, got ${o.maxSamples}`,
      { hint: 'pass a whole number of sequences, at least 4, or leave it out to use all' },
    );
  }
  if (
    o.smoothgrad &&
    !(Number.isInteger(o.smoothgrad.n) && o.smoothgrad.n >= 1 && o.smoothgrad.sigma >= 0)
  ) {
    throw new DatadietError('CLI_USAGE', '--smoothgrad needs n ≥ 1 draws and sigma ≥ 0', {
      hint: 'e.g. --smoothgrad 16 --smoothgrad-sigma 0.1',
    });
  }
  const backend = await ensureBackend(o.backend);
  const rng = new Rng(seed, 'evaluate');

  // Load and check everything first: a mistake found here has written nothing.
  const model = await loadEvalModel(o.model, { features: o.features });
  try {
    progress({ stage: 'load data', done: 0, total: 1 });
    const data = await loadProbeSet({
      dir: o.data,
      flag: '--data',
      maxSamples: o.maxSamples,
      needParts: true,
    });
    const decor = o.decorrelated
      ? await loadProbeSet({
          dir: o.decorrelated,
          flag: '--decorrelated',
          maxSamples: o.maxSamples,
        })
      : null;
    const cue = o.cueConflict
      ? await loadProbeSet({ dir: o.cueConflict, flag: '--cue-conflict', maxSamples: o.maxSamples })
      : null;
    if (decor) sameCategories(data, decor, '--decorrelated');
    if (cue) {
      sameCategories(data, cue, '--cue-conflict');
      if (!cue.cueConflict.some((v) => v === 1)) {
        throw new DatadietError(
          'EVAL_DATA_UNUSABLE',
          `--cue-conflict ${cue.dir} has no cue-conflict objects (shape of one category, texture of another)`,
          { hint: 'generate it with --preset cue-conflict' },
        );
      }
    }
    const numClasses = data.categories.length;
    // The own head is scored apart, and only when it is over these categories (an ImageNet
    // head scores ClickMe, apart too).
    const own = model.description.own_head_classes;
    const fingerprint = fingerprintOf(o, {
      model: model.identity,
      data: data.identity,
      decorrelated: decor?.identity ?? null,
      cueConflict: cue?.identity ?? null,
      clickme: o.clickme ? await clickmeIdentity(o.clickme) : null,
    });
    const existing = await readExisting(o.out);
    if (existing && existing.inputs.fingerprint === fingerprint) {
      progress({ stage: 'reused', done: 1, total: 1 });
      return existing;
    }

    // One readout for every model: a ridge probe on frozen features, α by inner CV on the fit rows.
    const feats = await extractFeatures({
      ...data,
      features: (x) => model.features(x),
      onBatch: (d) => progress({ stage: 'features', done: d, total: data.n }),
    });
    const split = splitIndices({
      labels: data.labels,
      heldOutFraction: HELD_OUT_FRACTION,
      rng: rng.fork('probe-split'),
    });
    if (split.heldOut.length === 0 || split.fit.length < 2) {
      throw new DatadietError(
        'EVAL_DATA_UNUSABLE',
        `--data ${o.data}: ${data.n} labelled samples are too few for a probe with a held-out part`,
        { hint: 'use a dataset with more sequences (at least 2 per category)' },
      );
    }
    const fitted = fitCvProbe({
      features: feats.data,
      dim: feats.dim,
      labels: data.labels,
      idx: split.fit,
      numClasses,
      rng: rng.fork('alpha-cv'),
    });
    const probe = fitted.probe;
    const heldPred = predictRows(probe, feats.data, split.heldOut);
    const heldHits = split.heldOut.map((r, i) => (heldPred[i] === data.labels[r] ? 1 : 0));
    const top1 = mean(heldHits);
    const present = [...new Set(data.labels)].sort((a, b) => a - b);

    // Saliency of the probe's true-class logit on the held-out images, against the part maps.
    const partScoresOf = async (logits: (x: tf.Tensor4D) => tf.Tensor2D, label: string) => {
      progress({ stage: label, done: 0, total: split.heldOut.length });
      const maps = await saliencyMaps({
        logits,
        images: data.images,
        h: data.h,
        w: data.w,
        rows: split.heldOut,
        labels: data.labels,
        numClasses,
        smoothgrad: o.smoothgrad,
        rng: rng.fork(label),
        onBatch: (d) => progress({ stage: label, done: d, total: split.heldOut.length }),
      });
      const scored = scorePartAlignment({
        set: data,
        rows: split.heldOut,
        maps,
        figureRows: FIGURE_ROWS,
      });
      const r = rng.fork(`${label}/bootstrap`);
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
    };
    const head = probeHead(probe);
    const part = await partScoresOf((x) => head.apply(model.features(x)), 'saliency');
    head.dispose();
    if (part.scored === 0) {
      throw new DatadietError(
        'EVAL_DATA_UNUSABLE',
        `--data ${o.data}: no held-out image shows its object's diagnostic part with a non-constant saliency, so alignment cannot be scored`,
        {
          hint: 'use a dataset where objects are in view (e.g. preset single-object) or more sequences',
        },
      );
    }

    // The model's own head over these categories, in its own columns.
    let ownHead: EvalMetrics['own_head'] = null;
    if (model.logits !== undefined && own === numClasses) {
      const logitsFn = model.logits;
      const lg = await extractFeatures({ ...data, features: (x) => logitsFn(x) });
      const pred = argmaxRows(Float64Array.from(lg.data), data.n, lg.dim);
      const hits = split.heldOut.map((r) => (pred[r] === data.labels[r] ? 1 : 0));
      const ownPart = await partScoresOf(logitsFn, 'own-head saliency');
      ownHead = {
        classes: own,
        top1: mean(hits),
        top1_ci: meanInterval(hits, rng.fork('own-top1')),
        images: ownPart.scored,
        ...ownPart.scores,
      };
    }

    // Shortcut reliance, with the probe fitted on --data.
    let shortcut: EvalMetrics['shortcut'] = null;
    let decorFeats: { data: Float32Array; dim: number } | null = null;
    if (decor) {
      progress({ stage: 'decorrelated', done: 0, total: decor.n });
      decorFeats = await extractFeatures({ ...decor, features: (x) => model.features(x) });
      const pred = predictRows(probe, decorFeats.data, allRows(decor.n));
      const hits = Array.from(pred, (p, i) => (p === decor.labels[i] ? 1 : 0));
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
        numClasses,
        rng: rng.fork('alpha-cv/decorrelated-probe'),
      }).probe;
      const dPred = predictRows(dProbe, decorFeats.data, dSplit.heldOut);
      const dHits = dSplit.heldOut.map((r, i) => (dPred[i] === decor.labels[r] ? 1 : 0));
      shortcut = {
        decorrelated_probe_top1: mean(dHits),
        decorrelated_probe_top1_ci: meanInterval(dHits, rng.fork('decorrelated-probe-top1')),
        decorrelated_probe_held_out: dHits.length,
        correlated_top1: top1,
        decorrelated_top1: acc,
        decorrelated_top1_ci: meanInterval(hits, rng.fork('decorrelated-top1')),
        drop: top1 - acc,
        drop_ci: differenceInterval(heldHits, hits, rng.fork('drop')),
        decorrelated_samples: decor.n,
      };
    }

    // Shape bias: the main probe is fitted on the decorrelated split when there is one, so the
    // background (random there) cannot decide a cue-conflict guess; the --data probe is kept apart.
    let shapeBias: EvalMetrics['shape_bias'] = null;
    if (cue) {
      progress({ stage: 'cue-conflict', done: 0, total: cue.n });
      const cueFeats = await extractFeatures({ ...cue, features: (x) => model.features(x) });
      const outcomesWith = (p: LinearProbe) =>
        cueOutcomes(cue, predictRows(p, cueFeats.data, allRows(cue.n)));
      const summary = (outcomes: CueOutcome[], r: Rng) => {
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
      };
      const dataProbe = summary(outcomesWith(probe), rng.fork('shape-bias/data'));
      if (decor && decorFeats) {
        const decorProbe = fitCvProbe({
          features: decorFeats.data,
          dim: decorFeats.dim,
          labels: decor.labels,
          idx: allRows(decor.n),
          numClasses,
          rng: rng.fork('alpha-cv/decorrelated'),
        }).probe;
        const main = summary(outcomesWith(decorProbe), rng.fork('shape-bias/decorrelated'));
        const { coverage_ci: _c, ...dataOnly } = dataProbe;
        shapeBias = {
          probe_fit: 'decorrelated',
          cue_conflict_images: cueOutcomes(cue, new Int32Array(cue.n)).length,
          ...main,
          data_probe: dataOnly,
        };
      } else {
        shapeBias = {
          probe_fit: 'data',
          cue_conflict_images: cueOutcomes(cue, new Int32Array(cue.n)).length,
          ...dataProbe,
          data_probe: null,
        };
      }
    }

    // Slowness of the same features on --data's sequences, every frame (none for still images).
    progress({ stage: 'slowness', done: 0, total: 1 });
    let slowness: ReturnType<typeof slownessFigures> | null = null;
    if ((await readDataInfo(o.data)).frames >= 2) {
      const seqs = await sequenceFeatures({ dir: o.data, apply: (x) => model.features(x) });
      const limited = seqs.sequences.slice(0, o.maxSamples ?? Infinity);
      if (limited.length > 0) slowness = slownessFigures(limited, seqs.dim, rng.fork('slowness'));
    }

    let prediction: Awaited<ReturnType<typeof predictionMetrics>> | null = null;
    if (model.predictFrames) {
      progress({ stage: 'next-frame prediction', done: 0, total: 1 });
      const info = await readDataInfo(o.data);
      if (info.frames >= 2) {
        prediction = await predictionMetrics({
          data: o.data,
          predictFrames: model.predictFrames,
          size: model.description.input_size,
          clipLength: Math.min(info.frames, 8),
          maxClips: Math.min(o.maxSamples ?? 32, 32),
          seed,
        });
      }
    }

    let clickme: ClickmeResult | null = null;
    if (o.clickme) {
      progress({ stage: 'clickme', done: 0, total: 1 });
      clickme = await clickmeAlignment({
        model,
        dir: o.clickme,
        seed,
        maxSamples: o.maxSamples,
        smoothgrad: o.smoothgrad,
        onProgress: progress,
      });
    }

    // Write: figures first, metrics.json last (its presence means the evaluation is complete).
    await mkdir(o.out, { recursive: true });
    const files = { saliency: [] as string[], prediction: [] as string[] };
    if (part.figure.length > 0) {
      await writeFileAtomic(
        join(o.out, 'saliency.png'),
        saliencySheet(part.figure, data.h, data.w),
      );
      files.saliency.push('saliency.png');
    }
    if (clickme?.figure) {
      await writeFileAtomic(join(o.out, 'saliency-clickme.png'), clickme.figure);
      files.saliency.push('saliency-clickme.png');
    }
    if (prediction && prediction.examples.length > 0) {
      await writeFileAtomic(
        join(o.out, 'prediction.png'),
        predictionSheet(prediction.examples, prediction.h, prediction.w),
      );
      files.prediction.push('prediction.png');
    }
    const d = model.description;
    const metrics: EvalMetrics = {
      format: EVAL_FORMAT,
      seed,
      inputs: {
        model: /^https?:\/\//i.test(o.model) ? o.model : resolve(o.model),
        data: resolve(o.data),
        decorrelated: o.decorrelated ? resolve(o.decorrelated) : null,
        cue_conflict: o.cueConflict ? resolve(o.cueConflict) : null,
        clickme: o.clickme ? resolve(o.clickme) : null,
        max_samples: o.maxSamples ?? null,
        smoothgrad: o.smoothgrad ?? null,
        fingerprint,
      },
      versions: {
        datadiet: await packageVersion(),
        tfjs: tf.version.tfjs,
        backend,
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
        feature_dim: feats.dim,
        pooling: d.pooling,
        ...(d.own_head_classes !== undefined ? { own_head_classes: d.own_head_classes } : {}),
        readout: 'probe',
      },
      data: {
        samples: data.n,
        height: data.h,
        width: data.w,
        categories: data.categories,
        classes_present: present,
      },
      probe: {
        method: `closed-form ridge on standardised features, one-hot targets, α by ${fitted.folds}-fold stratified inner CV on the fit split; seeded stratified split, ${Math.round(HELD_OUT_FRACTION * 100)} % held out`,
        alpha: probe.alpha,
        alpha_cv_folds: fitted.folds,
        alpha_cv: fitted.scores,
        fit: split.fit.length,
        held_out: split.heldOut.length,
        top1,
        top1_ci: meanInterval(heldHits, rng.fork('top1')),
        chance: 1 / present.length,
      },
      own_head: ownHead,
      alignment: {
        reference:
          'diagnostic-part maps (parts layer, labelled object) → 64², ClickMe blur (10×10, σ=10) → data size; saliency |∂ probe logit/∂x| max over channels on held-out images; Dice/IoU of pixels above the 90th percentile',
        images: part.scored,
        skipped_no_part: part.skipped,
        skipped_constant_saliency: part.skippedConstant,
        ...part.scores,
      },
      shortcut,
      shape_bias: shapeBias,
      slowness,
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
      files,
    };
    EvalMetricsSchema.parse(metrics);
    await writeJsonAtomic(join(o.out, METRICS_FILE), metrics);
    progress({ stage: 'done', done: 1, total: 1 });
    return metrics;
  } finally {
    model.dispose();
  }
}
