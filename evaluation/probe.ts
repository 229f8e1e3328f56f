/**
 * The linear probe: closed-form ridge regression of one-hot labels on standardised frozen features
 * (float64, no iterations, so no learning-rate or epoch knobs and the same answer on every backend).
 * The fitted head is also available as tfjs ops so saliency can differentiate through it.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/index.ts';

export interface LinearProbe {
  dim: number;
  numClasses: number;
  mean: Float64Array;
  scale: Float64Array;
  /** [dim, numClasses] row-major */
  weights: Float64Array;
  bias: Float64Array;
  /** Classes seen in the fit set; the others can never be predicted. */
  seen: boolean[];
  alpha: number;
}

/** Ridge strength relative to the number of fit samples (features are standardised). */
export const DEFAULT_ALPHA = 1e-2;

/** Solves S x = B in place (S symmetric positive definite, n×n; B n×k) by Cholesky. */
function choleskySolve(S: Float64Array, n: number, B: Float64Array, k: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i * n + j]!;
      for (let p = 0; p < j; p++) s -= L[i * n + p]! * L[j * n + p]!;
      if (i === j) L[i * n + i] = Math.sqrt(Math.max(s, 1e-12));
      else L[i * n + j] = s / L[j * n + j]!;
    }
  }
  const X = Float64Array.from(B);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let s = X[i * k + c]!;
      for (let p = 0; p < i; p++) s -= L[i * n + p]! * X[p * k + c]!;
      X[i * k + c] = s / L[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = X[i * k + c]!;
      for (let p = i + 1; p < n; p++) s -= L[p * n + i]! * X[p * k + c]!;
      X[i * k + c] = s / L[i * n + i]!;
    }
  }
  return X;
}

/**
 * Fits the probe on rows `idx` of features [N, dim]. Uses the primal (dim×dim) or the dual (n×n)
 * system, whichever is smaller, so wide features on few images stay cheap.
 */
export function fitProbe(opts: {
  features: Float32Array | Float64Array;
  dim: number;
  labels: Int32Array;
  idx: number[];
  numClasses: number;
  alpha?: number;
}): LinearProbe {
  const { features: F, dim: d, labels, idx, numClasses: C } = opts;
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  const n = idx.length;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (const r of idx) for (let j = 0; j < d; j++) mean[j]! += F[r * d + j]! / n;
  for (const r of idx) for (let j = 0; j < d; j++) scale[j]! += (F[r * d + j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]!) || 1;
  const X = new Float64Array(n * d);
  idx.forEach((r, i) => {
    for (let j = 0; j < d; j++) X[i * d + j] = (F[r * d + j]! - mean[j]!) / scale[j]!;
  });
  const seen = Array.from({ length: C }, () => false);
  const ymean = new Float64Array(C);
  for (const r of idx) {
    seen[labels[r]!] = true;
    ymean[labels[r]!]! += 1 / n;
  }
  // Centred one-hot targets: the bias is the class frequency.
  const Y = new Float64Array(n * C);
  idx.forEach((r, i) => {
    for (let c = 0; c < C; c++) Y[i * C + c] = (labels[r] === c ? 1 : 0) - ymean[c]!;
  });
  const lambda = alpha * n;
  let W: Float64Array;
  if (d <= n) {
    const S = new Float64Array(d * d);
    const B = new Float64Array(d * C);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        const xa = X[i * d + a]!;
        if (xa === 0) continue;
        for (let b = a; b < d; b++) S[a * d + b]! += xa * X[i * d + b]!;
        for (let c = 0; c < C; c++) B[a * C + c]! += xa * Y[i * C + c]!;
      }
    }
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < a; b++) S[a * d + b] = S[b * d + a]!;
      S[a * d + a]! += lambda;
    }
    W = choleskySolve(S, d, B, C);
  } else {
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let a = 0; a < d; a++) s += X[i * d + a]! * X[j * d + a]!;
        K[i * n + j] = s;
        K[j * n + i] = s;
      }
      K[i * n + i]! += lambda;
    }
    const A = choleskySolve(K, n, Y, C);
    W = new Float64Array(d * C);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        const xa = X[i * d + a]!;
        for (let c = 0; c < C; c++) W[a * C + c]! += xa * A[i * C + c]!;
      }
    }
  }
  // An unseen class gets a very low bias so it is never the arg-max.
  const bias = Float64Array.from(ymean, (v, c) => (seen[c] ? v : -1e3));
  return { dim: d, numClasses: C, mean, scale, weights: W, bias, seen, alpha };
}

/** Logits of rows [N, dim] (plain numbers; no tensors). */
export function probeLogits(
  p: LinearProbe,
  features: ArrayLike<number>,
  rows: number,
): Float64Array {
  const { dim: d, numClasses: C } = p;
  const out = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < C; c++) out[r * C + c] = p.bias[c]!;
    for (let a = 0; a < d; a++) {
      const x = (features[r * d + a]! - p.mean[a]!) / p.scale[a]!;
      if (x === 0) continue;
      for (let c = 0; c < C; c++) out[r * C + c]! += x * p.weights[a * C + c]!;
    }
  }
  return out;
}

export function argmaxRows(logits: Float64Array, rows: number, C: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[r * C + c]! > logits[r * C + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** Top-1 accuracy of the probe on rows `idx` (all rows when omitted). */
export function probeAccuracy(
  p: LinearProbe,
  features: Float32Array | Float64Array,
  labels: Int32Array,
  idx?: number[],
): number {
  const rows = idx ?? Array.from(labels, (_, i) => i);
  if (rows.length === 0) return NaN;
  const sub = new Float64Array(rows.length * p.dim);
  rows.forEach((r, i) => sub.set(features.subarray(r * p.dim, (r + 1) * p.dim), i * p.dim));
  const pred = argmaxRows(probeLogits(p, sub, rows.length), rows.length, p.numClasses);
  let hits = 0;
  rows.forEach((r, i) => (hits += pred[i] === labels[r] ? 1 : 0));
  return hits / rows.length;
}

/** The probe as tfjs ops (features [N, dim] → logits [N, C]), for gradients. Caller disposes. */
export function probeHead(p: LinearProbe) {
  const mean = tf.tensor1d(Float32Array.from(p.mean));
  const inv = tf.tensor1d(Float32Array.from(p.scale, (s) => 1 / s));
  const w = tf.tensor2d(Float32Array.from(p.weights), [p.dim, p.numClasses]);
  const b = tf.tensor1d(Float32Array.from(p.bias));
  return {
    apply: (f: tf.Tensor2D) => tf.add(tf.matMul(tf.mul(tf.sub(f, mean), inv), w), b) as tf.Tensor2D,
    dispose: () => tf.dispose([mean, inv, w, b]),
  };
}

/** Seeded Fisher–Yates shuffle; returns `a`. */
function shuffleInPlace<T>(a: T[], rng: Rng): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * A seeded split of n samples into fit and held-out parts, stratified by label so every class is
 * in the fit set when it has at least two samples.
 */
export function splitIndices(opts: { labels: Int32Array; heldOutFraction: number; rng: Rng }): {
  fit: number[];
  heldOut: number[];
} {
  const byClass = new Map<number, number[]>();
  opts.labels.forEach((l, i) => {
    const rows = byClass.get(l);
    if (rows) rows.push(i);
    else byClass.set(l, [i]);
  });
  const fit: number[] = [];
  const heldOut: number[] = [];
  for (const [label, rows] of [...byClass].sort((a, b) => a[0] - b[0])) {
    shuffleInPlace(rows, opts.rng.fork(`class-${label}`));
    const k = rows.length < 2 ? 0 : Math.max(1, Math.round(rows.length * opts.heldOutFraction));
    heldOut.push(...rows.slice(0, k));
    fit.push(...rows.slice(k));
  }
  return { fit: fit.sort((a, b) => a - b), heldOut: heldOut.sort((a, b) => a - b) };
}

/**
 * Seeded stratified k folds of `rows` (each row in exactly one fold): every class is dealt round
 * the folds in turn, continuing where the previous class stopped, so each fold holds its share of
 * every class and fold sizes differ by at most one (scikit-learn's StratifiedKFold idea).
 */
export function stratifiedFolds(opts: {
  labels: ArrayLike<number>;
  rows: number[];
  k: number;
  rng: Rng;
}): number[][] {
  const byClass = new Map<number, number[]>();
  for (const r of opts.rows) {
    const l = opts.labels[r]!;
    const list = byClass.get(l);
    if (list) list.push(r);
    else byClass.set(l, [r]);
  }
  const folds: number[][] = Array.from({ length: opts.k }, () => []);
  let next = 0;
  for (const [label, rows] of [...byClass].sort((a, b) => a[0] - b[0])) {
    shuffleInPlace(rows, opts.rng.fork(`class-${label}`));
    for (const r of rows) {
      folds[next]!.push(r);
      next = (next + 1) % opts.k;
    }
  }
  return folds.map((f) => f.sort((a, b) => a - b));
}

/** The ridge strengths inner cross-validation chooses from (relative to the fit-set size). */
export const ALPHA_GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100];
export const ALPHA_CV_FOLDS = 5;

/**
 * Ridge strength by inner cross-validation on the fit rows only (stratified, seeded): the α with
 * the most correct held-out predictions, ties to the lower squared error of the one-hot fit. Feature
 * sizes differ between models, so one fixed α would favour some of them.
 */
export function chooseAlpha(opts: {
  features: Float32Array | Float64Array;
  dim: number;
  labels: Int32Array;
  idx: number[];
  numClasses: number;
  rng: Rng;
  grid?: number[];
  folds?: number;
}): { alpha: number; folds: number; scores: { alpha: number; accuracy: number }[] } {
  const grid = opts.grid ?? ALPHA_GRID;
  const k = Math.min(opts.folds ?? ALPHA_CV_FOLDS, Math.floor(opts.idx.length / 2));
  if (k < 2) return { alpha: DEFAULT_ALPHA, folds: 0, scores: [] };
  const folds = stratifiedFolds({ labels: opts.labels, rows: opts.idx, k, rng: opts.rng });
  const C = opts.numClasses;
  const scores = grid.map((alpha) => {
    let hits = 0;
    let sse = 0;
    let n = 0;
    for (const test of folds) {
      if (test.length === 0) continue;
      const inTest = new Set(test);
      const fit = opts.idx.filter((r) => !inTest.has(r));
      const p = fitProbe({ ...opts, idx: fit, alpha });
      const sub = new Float64Array(test.length * opts.dim);
      test.forEach((r, i) =>
        sub.set(opts.features.subarray(r * opts.dim, (r + 1) * opts.dim), i * opts.dim),
      );
      const logits = probeLogits(p, sub, test.length);
      const pred = argmaxRows(logits, test.length, C);
      test.forEach((r, i) => {
        hits += pred[i] === opts.labels[r] ? 1 : 0;
        for (let c = 0; c < C; c++) {
          if (!p.seen[c]) continue;
          sse += (logits[i * C + c]! - (opts.labels[r] === c ? 1 : 0)) ** 2;
        }
        n++;
      });
    }
    return { alpha, accuracy: hits / n, sse };
  });
  let best = scores[0]!;
  for (const s of scores) {
    if (s.accuracy > best.accuracy || (s.accuracy === best.accuracy && s.sse < best.sse)) best = s;
  }
  return {
    alpha: best.alpha,
    folds: k,
    scores: scores.map(({ alpha, accuracy }) => ({ alpha, accuracy })),
  };
}

/** `chooseAlpha`, then the probe fitted on all of `idx` with that α. */
export function fitCvProbe(opts: Parameters<typeof chooseAlpha>[0]): {
  probe: LinearProbe;
  folds: number;
  scores: { alpha: number; accuracy: number }[];
} {
  const choice = chooseAlpha(opts);
  const { rng: _r, grid: _g, folds: _f, ...fit } = opts;
  return {
    probe: fitProbe({ ...fit, alpha: choice.alpha }),
    folds: choice.folds,
    scores: choice.scores,
  };
}

/** Arg-max class of the probe for `rows` of features [N, dim]. */
export function predictRows(
  p: LinearProbe,
  features: Float32Array | Float64Array,
  rows: number[],
): Int32Array {
  const sub = new Float64Array(rows.length * p.dim);
  rows.forEach((r, i) => sub.set(features.subarray(r * p.dim, (r + 1) * p.dim), i * p.dim));
  return argmaxRows(probeLogits(p, sub, rows.length), rows.length, p.numClasses);
}

/** Seeded k folds (each sample in exactly one). */
export function kFolds(n: number, k: number, rng: Rng): number[][] {
  const order = shuffleInPlace(
    Array.from({ length: n }, (_, i) => i),
    rng,
  );
  const folds: number[][] = Array.from({ length: k }, () => []);
  order.forEach((v, i) => folds[i % k]!.push(v));
  return folds.map((f) => f.sort((a, b) => a - b));
}
