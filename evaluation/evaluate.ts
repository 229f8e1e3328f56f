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
import { DatadietError } from '../core/errors.ts';
import { packageVersion } from '../core/paths.ts';
import { Rng } from '../core/rng.ts';
import { stableJson, writeFileAtomic, writeJsonAtomic } from '../output/manifest.ts';
import { readDataInfo, selectBackend } from '../training/index.ts';
import { clickmeAlignment, type ClickmeResult } from './clickme-eval.ts';
import { extractFeatures } from './features.ts';
import { predictionSheet, saliencySheet } from './images.ts';
import { scorePartAlignment, shapeBiasOf } from './part-alignment.ts';
import { EVAL_FORMAT, EvalMetricsSchema, METRICS_FILE, type EvalMetrics } from './metrics.ts';
import { loadEvalModel, type EvalModel } from './models.ts';
import { predictionMetrics } from './prediction.ts';
import {
  argmaxRows,
  fitProbe,
  probeAccuracy,
  probeHead,
  probeLogits,
  splitIndices,
  type LinearProbe,
} from './probe.ts';
import { loadProbeSet, type ProbeSet } from './probe-data.ts';
import { saliencyMaps, type SmoothGrad } from './saliency.ts';

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

/** Probe predictions for a whole set. */
function predictAll(model: EvalModel, probe: LinearProbe, set: ProbeSet): Int32Array {
  const f = extractFeatures({ ...set, features: (x) => model.features(x) });
  return argmaxRows(probeLogits(probe, f.data, set.n), set.n, probe.numClasses);
}

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
    const own = model.description.own_head_classes;
    const ownHead = model.logits !== undefined && own === numClasses;
    // A head over other classes (an ImageNet head on our categories) is not used: the probe is.
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

    // Probe.
    const feats = extractFeatures({
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
    const probe = fitProbe({
      features: feats.data,
      dim: feats.dim,
      labels: data.labels,
      idx: split.fit,
      numClasses,
    });
    const top1 = probeAccuracy(probe, feats.data, data.labels, split.heldOut);
    const present = [...new Set(data.labels)].sort((a, b) => a - b);
    let ownTop1: number | null = null;
    if (ownHead && model.logits) {
      const logitsFn = model.logits;
      const lg = extractFeatures({ ...data, features: (x) => logitsFn(x) });
      const pred = argmaxRows(Float64Array.from(lg.data), data.n, lg.dim);
      ownTop1 =
        split.heldOut.filter((r) => pred[r] === data.labels[r]).length / split.heldOut.length;
    }

    // Saliency of the true-class logit on the held-out images, and alignment with the part maps.
    const head = probeHead(probe);
    const logits =
      ownHead && model.logits ? model.logits : (x: tf.Tensor4D) => head.apply(model.features(x));
    progress({ stage: 'saliency', done: 0, total: split.heldOut.length });
    const maps = saliencyMaps({
      logits,
      images: data.images,
      h: data.h,
      w: data.w,
      rows: split.heldOut,
      labels: data.labels,
      numClasses,
      smoothgrad: o.smoothgrad,
      rng: rng.fork('saliency'),
      onBatch: (d) => progress({ stage: 'saliency', done: d, total: split.heldOut.length }),
    });
    head.dispose();
    const { scores, scored, skipped, figure } = scorePartAlignment({
      set: data,
      rows: split.heldOut,
      maps,
      figureRows: FIGURE_ROWS,
    });
    if (scored === 0) {
      throw new DatadietError(
        'EVAL_DATA_UNUSABLE',
        `--data ${o.data}: no held-out image shows its object's diagnostic part, so alignment cannot be scored`,
        {
          hint: 'use a dataset where objects are in view (e.g. preset single-object) or more sequences',
        },
      );
    }

    // Shortcut reliance and shape bias, with the probe fitted on --data.
    let shortcut: EvalMetrics['shortcut'] = null;
    if (decor) {
      progress({ stage: 'decorrelated', done: 0, total: decor.n });
      const pred = predictAll(model, probe, decor);
      const acc = pred.filter((p, i) => p === decor.labels[i]).length / decor.n;
      shortcut = {
        correlated_top1: top1,
        decorrelated_top1: acc,
        drop: top1 - acc,
        decorrelated_samples: decor.n,
      };
    }
    let shapeBias: EvalMetrics['shape_bias'] = null;
    if (cue) {
      progress({ stage: 'cue-conflict', done: 0, total: cue.n });
      shapeBias = shapeBiasOf(cue, predictAll(model, probe, cue));
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
    if (figure.length > 0) {
      await writeFileAtomic(join(o.out, 'saliency.png'), saliencySheet(figure, data.h, data.w));
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
        ...(d.own_head_classes !== undefined ? { own_head_classes: d.own_head_classes } : {}),
        saliency_head: ownHead ? 'own' : 'probe',
      },
      data: {
        samples: data.n,
        height: data.h,
        width: data.w,
        categories: data.categories,
        classes_present: present,
      },
      probe: {
        method: `closed-form ridge on standardised features, one-hot targets; seeded stratified split, ${Math.round(HELD_OUT_FRACTION * 100)} % held out`,
        alpha: probe.alpha,
        fit: split.fit.length,
        held_out: split.heldOut.length,
        top1,
        chance: 1 / present.length,
        own_head_top1: ownTop1,
      },
      alignment: {
        reference:
          'diagnostic-part maps (parts layer, labelled object) → 64², ClickMe blur (10×10, σ=10) → data size; saliency |∂logit/∂x| max over channels on held-out images',
        images: scored,
        skipped_no_part: skipped,
        ...scores,
      },
      shortcut,
      shape_bias: shapeBias,
      prediction: prediction
        ? {
            clips: prediction.clips,
            frames_per_clip: prediction.frames_per_clip,
            mse: prediction.mse,
            copy_last_mse: prediction.copy_last_mse,
            ssim: prediction.ssim,
            copy_last_ssim: prediction.copy_last_ssim,
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
