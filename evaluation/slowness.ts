/**
 * Held-out slowness of a model's probe features (the claim SFA makes, measured where it was not
 * trained): per sequence, features of every frame; then the Δ-value (mean squared temporal
 * difference of features standardised by these sequences' mean and std), the mean |correlation|
 * between different outputs, and the raw std — no epsilon, so shrunk or collapsed outputs show.
 * Intervals resample sequences, through per-sequence sums so a draw costs no feature pass.
 */
import type { Rng } from '../core/index.ts';
import { percentileInterval, type Interval } from './bootstrap.ts';

export interface FeatureSeq {
  /** [rows, dim] row-major */
  data: Float64Array;
  rows: number;
}

/** Outputs wider than this get no correlation figure (d² sums per sequence would not fit). */
export const MAX_CORRELATION_DIM = 256;
export const SLOWNESS_DRAWS = 200;

interface SeqSums {
  n: number;
  s1: Float64Array;
  /** Upper triangle of Σ f fᵀ, or the diagonal only when dim > MAX_CORRELATION_DIM. */
  s2: Float64Array;
  diff2: Float64Array;
  pairs: number;
}

export interface SlownessFigures {
  sequences: number;
  frames: number;
  delta: number;
  delta_ci: Interval | null;
  mean_abs_correlation: number | null;
  mean_abs_correlation_ci: Interval | null;
  feature_std: number;
  feature_std_ci: Interval | null;
  constant_outputs: number;
}

const tri = (d: number) => (d * (d + 1)) / 2;

function sumsOf(seq: FeatureSeq, d: number, full: boolean): SeqSums {
  const s1 = new Float64Array(d);
  const s2 = new Float64Array(full ? tri(d) : d);
  const diff2 = new Float64Array(d);
  const x = seq.data;
  for (let r = 0; r < seq.rows; r++) {
    const o = r * d;
    for (let i = 0; i < d; i++) {
      const v = x[o + i]!;
      s1[i]! += v;
      if (!full) s2[i]! += v * v;
      else {
        const base = i * d - (i * (i - 1)) / 2 - i;
        for (let j = i; j < d; j++) s2[base + j]! += v * x[o + j]!;
      }
      if (r > 0) diff2[i]! += (v - x[o - d + i]!) ** 2;
    }
  }
  return { n: seq.rows, s1, s2, diff2, pairs: Math.max(0, seq.rows - 1) };
}

type Figures = { delta: number; corr: number | null; std: number };

function figuresOf(all: SeqSums[], pick: ArrayLike<number>, d: number, full: boolean): Figures {
  let n = 0;
  let pairs = 0;
  const s1 = new Float64Array(d);
  const s2 = new Float64Array(full ? tri(d) : d);
  const diff2 = new Float64Array(d);
  for (let k = 0; k < pick.length; k++) {
    const s = all[pick[k]!]!;
    n += s.n;
    pairs += s.pairs;
    for (let i = 0; i < d; i++) {
      s1[i]! += s.s1[i]!;
      diff2[i]! += s.diff2[i]!;
    }
    for (let i = 0; i < s2.length; i++) s2[i]! += s.s2[i]!;
  }
  const mean = Float64Array.from(s1, (v) => v / n);
  const diag = (i: number) => (full ? s2[i * d - (i * (i - 1)) / 2]! : s2[i]!);
  // Sample variance (n − 1), as training's slownessStats reports SFA's Δ-values.
  const variance = Float64Array.from(mean, (m, i) =>
    Math.max(0, (diag(i) - n * m * m) / Math.max(1, n - 1)),
  );
  let stdSum = 0;
  let delta = 0;
  let live = 0;
  for (let i = 0; i < d; i++) {
    stdSum += Math.sqrt(variance[i]!);
    if (variance[i]! > 1e-12 * (mean[i]! ** 2 + 1e-12) && pairs > 0) {
      delta += diff2[i]! / pairs / variance[i]!;
      live++;
    }
  }
  let corr: number | null = null;
  if (full) {
    let c = 0;
    let m = 0;
    for (let i = 0; i < d; i++) {
      if (!(variance[i]! > 0)) continue;
      const base = i * d - (i * (i - 1)) / 2 - i;
      for (let j = i + 1; j < d; j++) {
        if (!(variance[j]! > 0)) continue;
        const cov = (s2[base + j]! - n * mean[i]! * mean[j]!) / Math.max(1, n - 1);
        c += Math.min(1, Math.abs(cov) / Math.sqrt(variance[i]! * variance[j]!));
        m++;
      }
    }
    corr = m > 0 ? c / m : NaN;
  }
  return { delta: live > 0 ? delta / live : NaN, corr, std: stdSum / d };
}

export function slownessFigures(seqs: FeatureSeq[], dim: number, rng: Rng): SlownessFigures {
  const full = dim <= MAX_CORRELATION_DIM;
  const sums = seqs.map((s) => sumsOf(s, dim, full));
  const every = Array.from({ length: seqs.length }, (_, i) => i);
  const point = figuresOf(sums, every, dim, full);
  let constant = 0;
  for (let i = 0; i < dim; i++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of seqs)
      for (let r = 0; r < s.rows; r++) {
        const v = s.data[r * dim + i]!;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    if (lo === hi) constant++;
  }
  // One resampling of sequences serves all three figures.
  const draws: Figures[] = [];
  if (seqs.length > 1) {
    const pick = new Int32Array(seqs.length);
    for (let b = 0; b < SLOWNESS_DRAWS; b++) {
      for (let k = 0; k < pick.length; k++) pick[k] = rng.int(0, seqs.length - 1);
      draws.push(figuresOf(sums, pick, dim, full));
    }
  }
  const interval = (key: keyof Figures) =>
    draws.length > 0 ? percentileInterval(draws.map((f) => f[key] ?? NaN)) : null;
  return {
    sequences: seqs.length,
    frames: seqs.reduce((a, s) => a + s.rows, 0),
    delta: point.delta,
    delta_ci: interval('delta'),
    mean_abs_correlation: point.corr,
    mean_abs_correlation_ci: full ? interval('corr') : null,
    feature_std: point.std,
    feature_std_ci: interval('std'),
    constant_outputs: constant,
  };
}
