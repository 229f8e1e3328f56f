/**
 * Scores on rendered data: alignment of saliency with the renderer's diagnostic-part maps (the
 * synthetic ClickMe), and shape bias on cue-conflict renders.
 */
import { alignmentScores, blurClickme, resizeBilinear, type Map2D } from './alignment.ts';
import type { EvalMetrics } from './metrics.ts';
import type { ProbeSet } from './probe-data.ts';

/** The ClickMe blur applied at the data's resolution: map → 64², 10×10 σ=10 blur, → h×w. */
export function partsReference(m: Map2D): Map2D {
  return resizeBilinear(blurClickme(resizeBilinear(m, 64, 64)), m.h, m.w);
}

export interface FigureRow {
  image: Float32Array;
  saliency: Float32Array;
  reference: Float32Array;
}

/**
 * Mean per-image Spearman ρ and top-10 % Dice/IoU of saliency `maps` ([rows.length, h, w]) against
 * the blurred part maps of `rows`; images whose object shows no diagnostic part are skipped.
 */
export function scorePartAlignment(opts: {
  set: ProbeSet;
  rows: number[];
  maps: Float32Array;
  figureRows: number;
}): {
  scores: { spearman: number; dice: number; iou: number };
  scored: number;
  skipped: number;
  figure: FigureRow[];
} {
  const { set, rows, maps } = opts;
  const { h, w } = set;
  const px = h * w;
  const sums = { spearman: 0, dice: 0, iou: 0 };
  let scored = 0;
  let skipped = 0;
  const figure: FigureRow[] = [];
  rows.forEach((r, i) => {
    const part = set.parts!.subarray(r * px, (r + 1) * px);
    const saliency = maps.slice(i * px, (i + 1) * px);
    if (!part.some((v) => v > 0)) {
      skipped++;
      return;
    }
    const ref = partsReference({ data: Float32Array.from(part), h, w });
    const s = alignmentScores({ data: saliency, h, w }, ref);
    sums.spearman += s.spearman;
    sums.dice += s.dice;
    sums.iou += s.iou;
    scored++;
    if (figure.length < opts.figureRows) {
      figure.push({
        image: set.images.slice(r * px * 3, (r + 1) * px * 3),
        saliency,
        reference: ref.data,
      });
    }
  });
  const mean = (v: number) => (scored > 0 ? v / scored : NaN);
  return {
    scores: { spearman: mean(sums.spearman), dice: mean(sums.dice), iou: mean(sums.iou) },
    scored,
    skipped,
    figure,
  };
}

/** Geirhos shape bias: among cue-conflict images, shape hits / (shape hits + texture hits). */
export function shapeBiasOf(
  set: ProbeSet,
  predictions: Int32Array,
): NonNullable<EvalMetrics['shape_bias']> {
  let shape = 0;
  let texture = 0;
  let neither = 0;
  let images = 0;
  predictions.forEach((p, i) => {
    if (set.cueConflict[i] !== 1) return;
    images++;
    if (p === set.labels[i]) shape++;
    else if (p === set.texture[i]) texture++;
    else neither++;
  });
  return {
    cue_conflict_images: images,
    shape,
    texture,
    neither,
    value: shape + texture > 0 ? shape / (shape + texture) : null,
  };
}
