/**
 * Human-alignment metrics and the ClickMe map preprocessing, with TensorFlow semantics so our
 * numbers are comparable with the Harmonization benchmark (which uses `tf.image.resize` bilinear
 * and `tf.nn.conv2d(..., 'SAME')`). Maps are row-major single-channel Float32Arrays.
 */
import { DatadietError } from '../core/index.ts';

/** Harmonization's human inter-rater ceiling for ClickMe Spearman ρ; scores are divided by it. */
export const CLICKME_CEILING = 0.65753;

/** ClickMe protocol sizes: human maps 256 → 64, blur, → 224. */
const CLICKME_BLUR_SIZE = 64;
const CLICKME_KERNEL_SIZE = 10;
const CLICKME_KERNEL_SIGMA = 10;

export interface Map2D {
  data: Float32Array;
  h: number;
  w: number;
}

function checkMap(m: Map2D, what: string): void {
  if (!Number.isInteger(m.h) || !Number.isInteger(m.w) || m.h < 1 || m.w < 1) {
    throw new RangeError(`${what}: bad size ${m.h}x${m.w}`);
  }
  if (m.data.length !== m.h * m.w) {
    throw new RangeError(`${what}: data has ${m.data.length} values, expected ${m.h}x${m.w}`);
  }
}

function checkSameShape(a: Map2D, b: Map2D, what: string): void {
  checkMap(a, what);
  checkMap(b, what);
  if (a.h !== b.h || a.w !== b.w) {
    throw new DatadietError(
      'MODEL_DATA_MISMATCH',
      `${what}: saliency map is ${a.h}x${a.w} but the reference map is ${b.h}x${b.w}`,
      {
        hint: 'compute saliency at the reference size (e.g. 224 for ClickMe) or resize one of them',
      },
    );
  }
}

/**
 * Average ranks (1-based), ties share the mean of the ranks they span — scipy's `rankdata`
 * default, which `scipy.stats.spearmanr` uses. NaN ranks last (treated as the largest value).
 * A native numeric sort (no comparator callback) plus binary searches, for 224² maps per image.
 */
function averageRanks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = Number.isNaN(x[i]!) ? Infinity : x[i]!;
  const sorted = values.slice().sort();
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    // first index with sorted[k] >= v, and first with sorted[k] > v
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    const first = lo;
    hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    ranks[i] = (first + lo - 1) / 2 + 1;
  }
  return ranks;
}

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  // A constant map carries no ranking; scipy returns NaN there, which would poison a mean.
  if (saa === 0 || sbb === 0) return 0;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/**
 * Spearman ρ: Pearson correlation of average ranks (ties handled like scipy). Constant input
 * (or fewer than 2 values) gives 0 instead of NaN so per-image scores can be averaged.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`spearman: lengths differ (${a.length} vs ${b.length})`);
  }
  if (a.length < 2) return 0;
  return pearson(averageRanks(a), averageRanks(b));
}

/**
 * NumPy's `np.percentile(x, 100·(1 − fraction))` (linear interpolation) over the map, and the mask
 * of pixels strictly above it — Harmonization's binarisation for Dice and IoU. Where many pixels
 * tie at the threshold (a blurred part covering < 10 % of the image, the rest exactly 0) the mask
 * holds fewer than 10 % of the pixels, as in the reference; NaN counts as the smallest value.
 */
export function percentileMask(m: Map2D, fraction: number): Uint8Array {
  checkMap(m, 'percentileMask');
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`percentileMask: fraction must be in (0, 1], got ${fraction}`);
  }
  const n = m.data.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = Number.isNaN(m.data[i]!) ? -Infinity : m.data[i]!;
  const sorted = values.slice().sort();
  const pos = (n - 1) * (1 - fraction);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const threshold =
    sorted[lo]! === sorted[hi]!
      ? sorted[lo]!
      : sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = values[i]! > threshold ? 1 : 0;
  return mask;
}

/**
 * Dice and IoU of the two maps' percentile masks (default the top 10 %), as Harmonization computes
 * them: two empty masks (constant maps) score 0, not NaN.
 */
export function diceIou(a: Map2D, b: Map2D, fraction = 0.1): { dice: number; iou: number } {
  checkSameShape(a, b, 'diceIou');
  const ma = percentileMask(a, fraction);
  const mb = percentileMask(b, fraction);
  let inter = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < ma.length; i++) {
    na += ma[i]!;
    nb += mb[i]!;
    inter += ma[i]! & mb[i]!;
  }
  const union = na + nb - inter;
  return {
    dice: na + nb > 0 ? (2 * inter) / (na + nb) : 0,
    iou: union > 0 ? inter / union : 0,
  };
}

/** Whether a map has a single value everywhere (its ranking, and so its score, is undefined). */
export function isConstant(data: ArrayLike<number>): boolean {
  for (let i = 1; i < data.length; i++) if (data[i] !== data[0]) return false;
  return true;
}

/**
 * The ClickMe blur kernel, 10×10 row-major, built as Harmonization does:
 * `xs, ys = meshgrid(range(-5, 5), range(4, -6, -1))`, `exp(-(x²+y²)/(2σ²))`, σ = 10, normalised
 * to sum 1. So column j has x = j − 5 and row i has y = 4 − i: both axes span the offsets −5…4,
 * but the peak sits at row 4, column 5. We keep that asymmetry on purpose, for comparable numbers.
 */
export function clickmeKernel(): Float32Array {
  const size = CLICKME_KERNEL_SIZE;
  const half = Math.floor((size - 1) / 2); // 4
  const k = new Float64Array(size * size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const y = half - i;
    for (let j = 0; j < size; j++) {
      const x = j - (half + 1);
      const value = Math.exp(-(x * x + y * y) / (2 * CLICKME_KERNEL_SIGMA ** 2));
      k[i * size + j] = value;
      sum += value;
    }
  }
  return Float32Array.from(k, (value) => value / sum);
}

/**
 * Cross-correlation with 'SAME' zero padding exactly as `tf.nn.conv2d` (stride 1): an even kernel
 * of size K is padded floor((K−1)/2) before and the rest after, so
 * out[r][c] = Σ_ij in[r − 4 + i][c − 4 + j] · K[i][j] for K = 10.
 */
function conv2dSame(m: Map2D, kernel: Float32Array, kh: number, kw: number): Map2D {
  const padTop = Math.floor((kh - 1) / 2);
  const padLeft = Math.floor((kw - 1) / 2);
  const out = new Float32Array(m.h * m.w);
  for (let r = 0; r < m.h; r++) {
    for (let c = 0; c < m.w; c++) {
      let acc = 0;
      for (let i = 0; i < kh; i++) {
        const y = r - padTop + i;
        if (y < 0 || y >= m.h) continue;
        const row = y * m.w;
        for (let j = 0; j < kw; j++) {
          const x = c - padLeft + j;
          if (x < 0 || x >= m.w) continue;
          acc += m.data[row + x]! * kernel[i * kw + j]!;
        }
      }
      out[r * m.w + c] = acc;
    }
  }
  return { data: out, h: m.h, w: m.w };
}

/** The ClickMe Gaussian blur: `tf.nn.conv2d(map, clickmeKernel(), 1, 'SAME')`, same size. */
export function blurClickme(m: Map2D): Map2D {
  checkMap(m, 'blurClickme');
  return conv2dSame(m, clickmeKernel(), CLICKME_KERNEL_SIZE, CLICKME_KERNEL_SIZE);
}

interface AxisWeights {
  lower: Int32Array;
  upper: Int32Array;
  lerp: Float64Array;
}

/**
 * TF's `compute_interpolation_weights` with the half-pixel scaler (TF2 `tf.image.resize` bilinear,
 * no antialias): in = (o + 0.5)·(inSize/outSize) − 0.5, lower = max(floor(in), 0),
 * upper = min(ceil(in), inSize − 1), lerp = in − floor(in).
 */
function axisWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const lerp = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const pos = (o + 0.5) * scale - 0.5;
    const floor = Math.floor(pos);
    lower[o] = Math.max(floor, 0);
    upper[o] = Math.min(Math.ceil(pos), inSize - 1);
    lerp[o] = pos - floor;
  }
  return { lower, upper, lerp };
}

/** Bilinear resize with `tf.image.resize(..., 'bilinear')` semantics (half-pixel centres). */
export function resizeBilinear(m: Map2D, h: number, w: number): Map2D {
  checkMap(m, 'resizeBilinear');
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new RangeError(`resizeBilinear: bad target size ${h}x${w}`);
  }
  const ys = axisWeights(m.h, h);
  const xs = axisWeights(m.w, w);
  const out = new Float32Array(h * w);
  const d = m.data;
  for (let r = 0; r < h; r++) {
    const top = ys.lower[r]! * m.w;
    const bottom = ys.upper[r]! * m.w;
    const yl = ys.lerp[r]!;
    for (let c = 0; c < w; c++) {
      const left = xs.lower[c]!;
      const right = xs.upper[c]!;
      const xl = xs.lerp[c]!;
      // Same order of operations as TF: lerp along x on both rows, then along y.
      const t = d[top + left]! + (d[top + right]! - d[top + left]!) * xl;
      const b = d[bottom + left]! + (d[bottom + right]! - d[bottom + left]!) * xl;
      out[r * w + c] = t + (b - t) * yl;
    }
  }
  return { data: out, h, w };
}

/** A human ClickMe map → the reference the protocol compares against: → 64², blur, → size². */
export function clickmeReference(m: Map2D, size = 224): Map2D {
  const small = resizeBilinear(m, CLICKME_BLUR_SIZE, CLICKME_BLUR_SIZE);
  return resizeBilinear(blurClickme(small), size, size);
}

/**
 * Per-image alignment of a saliency map with a reference map (same size): Spearman ρ, ρ divided
 * by `ceiling` when one is given (ClickMe: CLICKME_CEILING), and Dice/IoU of the top-10 % pixels.
 */
export function alignmentScores(
  saliency: Map2D,
  reference: Map2D,
  opts: { ceiling?: number } = {},
): { spearman: number; spearmanNormalised?: number; dice: number; iou: number } {
  checkSameShape(saliency, reference, 'alignmentScores');
  const rho = spearman(saliency.data, reference.data);
  const { dice, iou } = diceIou(saliency, reference, 0.1);
  if (opts.ceiling === undefined) return { spearman: rho, dice, iou };
  if (!(opts.ceiling > 0)) throw new RangeError(`alignmentScores: bad ceiling ${opts.ceiling}`);
  return { spearman: rho, spearmanNormalised: rho / opts.ceiling, dice, iou };
}
