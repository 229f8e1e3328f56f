/**
 * Alignment on real ClickMe data (Harmonization protocol): 224² images, human maps → 64², ClickMe
 * blur, → 224², per-image Spearman divided by the human ceiling 0.65753, Dice/IoU of pixels above
 * the 90th percentile. Every model is read out the same way: stratified k-fold, a ridge probe
 * fitted on the other folds' images, saliency of its true-class logit on the held-out fold, so no
 * image is explained by a head that saw it. A model with an ImageNet head (baseline `logits: true`
 * with ≥ 1000 outputs) is also scored through that head, in `own_head`.
 */
import { DatadietError, Rng } from '../core/index.ts';
import { CLICKME_CEILING, alignmentScores, isConstant } from './alignment.ts';
import { meanInterval } from './bootstrap.ts';
import { loadClickMe } from './clickme/index.ts';
import { extractFeatures } from './features.ts';
import { saliencySheet } from './images.ts';
import type { EvalMetrics } from './metrics.ts';
import type { EvalModel } from './models.ts';
import { fitProbe, predictRows, probeHead, stratifiedFolds } from './probe.ts';
import { saliencyMaps, type SmoothGrad } from './saliency.ts';

export const CLICKME_SIZE = 224;
export const CLICKME_FOLDS = 5;
const IMAGENET_CLASSES = 1000;

export interface ClickmeResult {
  metrics: NonNullable<EvalMetrics['clickme']>;
  figure: Buffer | null;
}

export interface ClickmeOptions {
  model: EvalModel;
  dir: string;
  seed: number;
  maxSamples?: number | undefined;
  smoothgrad?: SmoothGrad | undefined;
  folds?: number;
  onProgress?: (e: { stage: string; done: number; total: number }) => void;
}

type ClickmeSet = Awaited<ReturnType<typeof loadClickMe>>;
type ClickmeMetrics = NonNullable<EvalMetrics['clickme']>;

/** Load → k-fold probe and its saliency → score → the ImageNet head apart → the record. */
export async function clickmeAlignment(opts: ClickmeOptions): Promise<ClickmeResult> {
  const { set, k } = await loadForFolds(opts);
  const rng = new Rng(opts.seed, 'clickme');
  const probed = await foldProbeSaliency(opts, set, k, rng);
  const main = scoreMaps({
    set,
    saliency: probed.saliency,
    skip: probed.classMissing,
    rng: rng.fork('bootstrap'),
  });
  const ownHead = await imagenetHeadScores(opts, set, rng);
  const { hits, classMissing } = probed;
  return {
    metrics: {
      images: set.labels.length,
      scored: main.scored,
      skipped: {
        class_missing_from_fit_folds: classMissing.reduce((a, b) => a + b, 0),
        constant_saliency: main.constant,
      },
      folds: k,
      head: `${k}-fold linear probe (ridge on frozen features, stratified folds; saliency on each held-out fold)`,
      top1: hits.reduce((a, b) => a + b, 0) / hits.length,
      top1_ci: meanInterval(hits, rng.fork('top1')),
      ceiling: CLICKME_CEILING,
      ...main.scores,
      note: 'a linear probe fitted on the other folds’ ClickMe images supplies the true-class logit (stratified k-fold, seeded); images whose class is missing from their fit folds, or whose saliency is constant, are left out and counted',
      own_head: ownHead,
    },
    figure: main.figure.length > 0 ? saliencySheet(main.figure, CLICKME_SIZE, CLICKME_SIZE) : null,
  };
}

/** The ClickMe images at 224², and the fold count they allow (refused below two). */
async function loadForFolds(opts: ClickmeOptions): Promise<{ set: ClickmeSet; k: number }> {
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
      `clickme ${opts.dir}: ${n} image(s) is too few for a ${foldCount}-fold probe`,
      {
        hint: 'point it at the Harmonization shards (val-*.tfrecords), or raise maxSamples',
        field: { config: 'evaluate', path: 'clickme' },
      },
    );
  }
  return { set, k };
}

/**
 * The main readout, as for every model: per stratified fold, a probe fitted on the other folds,
 * its accuracy on the fold and the saliency of its true-class logit there.
 */
async function foldProbeSaliency(opts: ClickmeOptions, set: ClickmeSet, k: number, rng: Rng) {
  const S = CLICKME_SIZE;
  const n = set.labels.length;
  const numClasses = Math.max(IMAGENET_CLASSES, ...set.labels.map((l) => l + 1));
  const all = Array.from({ length: n }, (_, i) => i);
  const feats = await extractFeatures({
    features: (x) => opts.model.features(x),
    images: set.images,
    n,
    h: S,
    w: S,
    batchSize: 8,
    onBatch: (d) => opts.onProgress?.({ stage: 'clickme features', done: d, total: n }),
  });
  const folds = stratifiedFolds({ labels: set.labels, rows: all, k, rng: rng.fork('folds') });
  const saliency = new Float32Array(n * S * S);
  // Images whose class no fit fold holds: the probe cannot name their class, so no saliency.
  const classMissing = new Uint8Array(n);
  const hits: number[] = [];
  for (const [f, heldOut] of folds.entries()) {
    if (heldOut.length === 0) continue;
    const inFold = new Set(heldOut);
    const fit = all.filter((i) => !inFold.has(i));
    const probe = fitProbe({
      features: feats.data,
      dim: feats.dim,
      labels: set.labels,
      idx: fit,
      numClasses,
    });
    const pred = predictRows(probe, feats.data, heldOut);
    heldOut.forEach((r, i) => hits.push(pred[i] === set.labels[r] ? 1 : 0));
    const known = heldOut.filter((r) => probe.seen[set.labels[r]!]);
    for (const r of heldOut) if (!probe.seen[set.labels[r]!]) classMissing[r] = 1;
    if (known.length > 0) {
      const h = probeHead(probe);
      const maps = await saliencyMaps({
        logits: (x) => h.apply(opts.model.features(x)),
        images: set.images,
        h: S,
        w: S,
        rows: known,
        labels: set.labels,
        numClasses,
        smoothgrad: opts.smoothgrad,
        rng: rng.fork(`saliency/${f}`),
        batchSize: 4,
      });
      h.dispose();
      known.forEach((r, i) => saliency.set(maps.subarray(i * S * S, (i + 1) * S * S), r * S * S));
    }
    opts.onProgress?.({ stage: 'clickme folds', done: f + 1, total: k });
  }
  return { saliency, classMissing, hits };
}

/** An ImageNet head's own logits (Harmonization's readout), reported apart; null without one. */
async function imagenetHeadScores(
  opts: ClickmeOptions,
  set: ClickmeSet,
  rng: Rng,
): Promise<ClickmeMetrics['own_head']> {
  const S = CLICKME_SIZE;
  const n = set.labels.length;
  const own =
    opts.model.logits && (opts.model.description.own_head_classes ?? 0) >= IMAGENET_CLASSES;
  if (!(own && opts.model.logits)) return null;
  const ownMaps = await saliencyMaps({
    logits: opts.model.logits,
    images: set.images,
    h: S,
    w: S,
    rows: Array.from({ length: n }, (_, i) => i),
    labels: set.labels,
    numClasses: opts.model.description.own_head_classes!,
    smoothgrad: opts.smoothgrad,
    rng: rng.fork('own-saliency'),
    batchSize: 4,
  });
  const o = scoreMaps({ set, saliency: ownMaps, skip: new Uint8Array(n), rng: rng.fork('own') });
  return {
    scored: o.scored,
    skipped_constant_saliency: o.constant,
    ...o.scores,
  };
}

/** Per-image scores of the maps not skipped; constant maps are skipped and counted. */
function scoreMaps(opts: { set: ClickmeSet; saliency: Float32Array; skip: Uint8Array; rng: Rng }) {
  const S = CLICKME_SIZE;
  const per = {
    spearman: [] as number[],
    norm: [] as number[],
    dice: [] as number[],
    iou: [] as number[],
  };
  let constant = 0;
  const figure: Parameters<typeof saliencySheet>[0] = [];
  opts.set.labels.forEach((_, i) => {
    if (opts.skip[i]) return;
    const sal = { data: opts.saliency.slice(i * S * S, (i + 1) * S * S), h: S, w: S };
    if (isConstant(sal.data)) {
      constant++;
      return;
    }
    // loadClickMe already applied the protocol to the human map (→ 64², blur, → 224²).
    const ref = opts.set.maps[i]!;
    const s = alignmentScores(sal, ref, { ceiling: CLICKME_CEILING });
    per.spearman.push(s.spearman);
    per.norm.push(s.spearmanNormalised ?? NaN);
    per.dice.push(s.dice);
    per.iou.push(s.iou);
    if (figure.length < 4) {
      figure.push({
        image: opts.set.images.subarray(i * S * S * 3, (i + 1) * S * S * 3),
        saliency: sal.data,
        reference: ref.data,
      });
    }
  });
  const avg = (v: number[]) => (v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
  const r = opts.rng;
  return {
    scored: per.spearman.length,
    constant,
    figure,
    scores: {
      spearman: avg(per.spearman),
      spearman_ci: meanInterval(per.spearman, r.fork('spearman')),
      spearman_normalised: avg(per.norm),
      spearman_normalised_ci: meanInterval(per.norm, r.fork('normalised')),
      dice: avg(per.dice),
      dice_ci: meanInterval(per.dice, r.fork('dice')),
      iou: avg(per.iou),
      iou_ci: meanInterval(per.iou, r.fork('iou')),
    },
  };
}
