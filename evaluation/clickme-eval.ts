/**
 * Alignment on real ClickMe data (Harmonization protocol): 224² images, human maps → 64², ClickMe
 * blur, → 224², per-image Spearman divided by the human ceiling 0.65753. A model with an ImageNet
 * head (baseline `logits: true` with ≥ 1000 outputs) is scored with that head; every other model
 * gets a head the honest way: k-fold, a ridge probe fitted on the other folds' images, saliency of
 * its true-class logit on the held-out fold, so no image is explained by a head that saw it.
 */
import { DatadietError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { CLICKME_CEILING, alignmentScores } from './alignment.ts';
import { loadClickMe } from './clickme/index.ts';
import { extractFeatures } from './features.ts';
import { saliencySheet } from './images.ts';
import type { EvalMetrics } from './metrics.ts';
import type { EvalModel } from './models.ts';
import { fitProbe, kFolds, probeAccuracy, probeHead } from './probe.ts';
import { saliencyMaps, type SmoothGrad } from './saliency.ts';

export const CLICKME_SIZE = 224;
export const CLICKME_FOLDS = 5;
const IMAGENET_CLASSES = 1000;

export interface ClickmeResult {
  metrics: NonNullable<EvalMetrics['clickme']>;
  figure: Buffer | null;
}

export async function clickmeAlignment(opts: {
  model: EvalModel;
  dir: string;
  seed: number;
  maxSamples?: number | undefined;
  smoothgrad?: SmoothGrad | undefined;
  folds?: number;
  onProgress?: (e: { stage: string; done: number; total: number }) => void;
}): Promise<ClickmeResult> {
  const set = await loadClickMe({
    dir: opts.dir,
    ...(opts.maxSamples !== undefined ? { limit: opts.maxSamples } : {}),
    size: CLICKME_SIZE,
  });
  const n = set.labels.length;
  const foldCount = opts.folds ?? CLICKME_FOLDS;
  const k = Math.min(foldCount, n);
  if (n < 2 || k < 2) {
    throw new DatadietError(
      'EVAL_DATA_UNUSABLE',
      `--clickme ${opts.dir}: ${n} image(s) is too few for a ${foldCount}-fold probe`,
      {
        hint: 'point --clickme at the Harmonization shards (val-*.tfrecords), or raise --max-samples',
      },
    );
  }
  const S = CLICKME_SIZE;
  const rng = new Rng(opts.seed, 'clickme');
  const numClasses = Math.max(IMAGENET_CLASSES, ...set.labels.map((l) => l + 1));
  const own =
    opts.model.logits && (opts.model.description.own_head_classes ?? 0) >= IMAGENET_CLASSES;
  const saliency = new Float32Array(n * S * S);
  let top1: number | null = null;
  let head: string;
  if (own && opts.model.logits) {
    head = 'the model’s own ImageNet head';
    const rows = Array.from({ length: n }, (_, i) => i);
    saliency.set(
      await saliencyMaps({
        logits: opts.model.logits,
        images: set.images,
        h: S,
        w: S,
        rows,
        labels: set.labels,
        numClasses: opts.model.description.own_head_classes!,
        smoothgrad: opts.smoothgrad,
        rng: rng.fork('saliency'),
        batchSize: 4,
      }),
    );
  } else {
    head = `${k}-fold linear probe (ridge on frozen features; saliency on each held-out fold)`;
    const feats = extractFeatures({
      features: (x) => opts.model.features(x),
      images: set.images,
      n,
      h: S,
      w: S,
      batchSize: 8,
      onBatch: (d) => opts.onProgress?.({ stage: 'clickme features', done: d, total: n }),
    });
    const folds = kFolds(n, k, rng.fork('folds'));
    let hits = 0;
    for (const [f, heldOut] of folds.entries()) {
      const inFold = new Set(heldOut);
      const fit = Array.from({ length: n }, (_, i) => i).filter((i) => !inFold.has(i));
      const probe = fitProbe({
        features: feats.data,
        dim: feats.dim,
        labels: set.labels,
        idx: fit,
        numClasses,
      });
      hits += probeAccuracy(probe, feats.data, set.labels, heldOut) * heldOut.length;
      const h = probeHead(probe);
      const maps = await saliencyMaps({
        logits: (x) => h.apply(opts.model.features(x)),
        images: set.images,
        h: S,
        w: S,
        rows: heldOut,
        labels: set.labels,
        numClasses,
        smoothgrad: opts.smoothgrad,
        rng: rng.fork(`saliency/${f}`),
        batchSize: 4,
      });
      h.dispose();
      heldOut.forEach((r, i) => saliency.set(maps.subarray(i * S * S, (i + 1) * S * S), r * S * S));
      opts.onProgress?.({ stage: 'clickme folds', done: f + 1, total: k });
    }
    top1 = hits / n;
  }
  const sums = { spearman: 0, norm: 0, dice: 0, iou: 0 };
  const figure: Parameters<typeof saliencySheet>[0] = [];
  for (let i = 0; i < n; i++) {
    const sal = { data: saliency.slice(i * S * S, (i + 1) * S * S), h: S, w: S };
    // loadClickMe already applied the protocol to the human map (→ 64², blur, → 224²).
    const ref = set.maps[i]!;
    const s = alignmentScores(sal, ref, { ceiling: CLICKME_CEILING });
    sums.spearman += s.spearman;
    sums.norm += s.spearmanNormalised ?? 0;
    sums.dice += s.dice;
    sums.iou += s.iou;
    if (figure.length < 4) {
      figure.push({
        image: set.images.subarray(i * S * S * 3, (i + 1) * S * S * 3),
        saliency: sal.data,
        reference: ref.data,
      });
    }
  }
  return {
    metrics: {
      images: n,
      folds: own ? 0 : k,
      head,
      top1,
      spearman: sums.spearman / n,
      spearman_normalised: sums.norm / n,
      ceiling: CLICKME_CEILING,
      dice: sums.dice / n,
      iou: sums.iou / n,
      note: own
        ? 'saliency of the model’s own ImageNet logit for the true class'
        : 'no ImageNet head: a linear probe fitted on the other folds’ ClickMe images supplies the true-class logit (k-fold, seeded)',
    },
    figure: figure.length > 0 ? saliencySheet(figure, S, S) : null,
  };
}
