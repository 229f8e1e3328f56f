/**
 * Scores on rendered data: alignment of saliency with the renderer's diagnostic-part maps (the
 * synthetic ClickMe), and shape bias on cue-conflict renders.
 */
import {
  alignmentScores,
  blurClickme,
  isConstant,
  resizeBilinear,
  type Map2D,
} from './alignment.ts';
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

/** Per-image scores of the images that could be scored, in row order. */
export interface PartScores {
  spearman: number[];
  dice: number[];
  iou: number[];
}

/**
 * Per-image Spearman ρ and top-10 % Dice/IoU of saliency `maps` ([rows.length, h, w]) against the
 * blurred part maps of `rows`. Images whose object shows no diagnostic part, or whose saliency is
 * constant (no ranking to compare), are left out and counted.
 */
export function scorePartAlignment(opts: {
  set: ProbeSet;
  rows: number[];
  maps: Float32Array;
  figureRows: number;
}): {
  perImage: PartScores;
  scored: number;
  skipped: number;
  skippedConstant: number;
  figure: FigureRow[];
} {
  const { set, rows, maps } = opts;
  const { h, w } = set;
  const px = h * w;
  const perImage: PartScores = { spearman: [], dice: [], iou: [] };
  let skipped = 0;
  let skippedConstant = 0;
  const figure: FigureRow[] = [];
  rows.forEach((r, i) => {
    const part = set.parts!.subarray(r * px, (r + 1) * px);
    const saliency = maps.slice(i * px, (i + 1) * px);
    if (!part.some((v) => v > 0)) {
      skipped++;
      return;
    }
    if (isConstant(saliency)) {
      skippedConstant++;
      return;
    }
    const ref = partsReference({ data: Float32Array.from(part), h, w });
    const s = alignmentScores({ data: saliency, h, w }, ref);
    perImage.spearman.push(s.spearman);
    perImage.dice.push(s.dice);
    perImage.iou.push(s.iou);
    if (figure.length < opts.figureRows) {
      figure.push({
        image: set.images.slice(r * px * 3, (r + 1) * px * 3),
        saliency,
        reference: ref.data,
      });
    }
  });
  return { perImage, scored: perImage.spearman.length, skipped, skippedConstant, figure };
}

/** What the probe chose on each cue-conflict image: its shape's class, its texture's, or neither. */
export type CueOutcome = 'shape' | 'texture' | 'neither';

/** Geirhos shape bias of outcomes: shape / (shape + texture); NaN when neither cue ever won. */
export function shapeBiasValue(outcomes: CueOutcome[]): number {
  let s = 0;
  let t = 0;
  for (const o of outcomes) {
    if (o === 'shape') s++;
    else if (o === 'texture') t++;
  }
  return s + t > 0 ? s / (s + t) : NaN;
}

/** Per cue-conflict image, which cue the predictions followed. */
export function cueOutcomes(set: ProbeSet, predictions: Int32Array): CueOutcome[] {
  const out: CueOutcome[] = [];
  predictions.forEach((p, i) => {
    if (set.cueConflict[i] !== 1) return;
    out.push(p === set.labels[i] ? 'shape' : p === set.texture[i] ? 'texture' : 'neither');
  });
  return out;
}
