/**
 * Uncertainty of every reported figure. Within one evaluation: a seeded percentile bootstrap over
 * the units the figure averages (held-out images; sequences or clips for sequence metrics), with
 * independent resampling of each group for figures that combine two sets (the shortcut drop).
 * Across training seeds: mean ± Student-t interval of the per-seed values.
 */
import type { Rng } from '../core/index.ts';

export type Interval = [number, number];

export const BOOTSTRAP_DRAWS = 1000;
export const CONFIDENCE = 0.95;

/** Linear-interpolated quantile of sorted values (NumPy's default 'linear' method). */
function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Percentile bootstrap interval of `statistic`, which receives one resampled index array per group
 * (group g has `sizes[g]` units). Draws whose statistic is not finite (a ratio with nothing to
 * divide) are left out; null when a group is empty or most draws are undefined.
 */
export function bootstrapInterval(opts: {
  sizes: number[];
  statistic: (draw: Int32Array[]) => number;
  rng: Rng;
  draws?: number;
  level?: number;
}): Interval | null {
  if (opts.sizes.length === 0 || opts.sizes.some((n) => n < 1)) return null;
  const draws = opts.draws ?? BOOTSTRAP_DRAWS;
  const level = opts.level ?? CONFIDENCE;
  const idx = opts.sizes.map((n) => new Int32Array(n));
  const values: number[] = [];
  for (let d = 0; d < draws; d++) {
    opts.sizes.forEach((n, g) => {
      const a = idx[g]!;
      for (let i = 0; i < n; i++) a[i] = opts.rng.int(0, n - 1);
    });
    const v = opts.statistic(idx);
    if (Number.isFinite(v)) values.push(v);
  }
  if (values.length < draws / 2) return null;
  return percentileInterval(values, level);
}

/** The central `level` interval of bootstrap values (finite ones; null when there are none). */
export function percentileInterval(values: number[], level = CONFIDENCE): Interval | null {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return null;
  const sorted = Float64Array.from(finite).sort();
  return [quantileSorted(sorted, (1 - level) / 2), quantileSorted(sorted, (1 + level) / 2)];
}

/** Bootstrap interval of the mean of per-unit values (per-image ρ, hits as 0/1, per-clip MSE). */
export function meanInterval(values: ArrayLike<number>, rng: Rng, draws?: number): Interval | null {
  return bootstrapInterval({
    sizes: [values.length],
    statistic: ([i]) => {
      let s = 0;
      for (const k of i!) s += values[k]!;
      return s / i!.length;
    },
    rng,
    ...(draws !== undefined ? { draws } : {}),
  });
}

/** Interval of mean(a) − mean(b) for two independent sets (e.g. correlated − decorrelated top-1). */
export function differenceInterval(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rng: Rng,
): Interval | null {
  const mean = (v: ArrayLike<number>, i: Int32Array) => {
    let s = 0;
    for (const k of i) s += v[k]!;
    return s / i.length;
  };
  return bootstrapInterval({
    sizes: [a.length, b.length],
    statistic: ([i, j]) => mean(a, i!) - mean(b, j!),
    rng,
  });
}

// Two-sided 97.5 % quantiles of Student's t for 1…30 degrees of freedom.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
];

/** Mean and 95 % Student-t interval across k independent runs (training seeds); k ≥ 2. */
export function acrossSeeds(values: number[]): { mean: number; interval: Interval | null } {
  const v = values.filter(Number.isFinite);
  const k = v.length;
  const mean = k > 0 ? v.reduce((a, b) => a + b, 0) / k : NaN;
  if (k < 2) return { mean, interval: null };
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1));
  const t = T975[k - 2] ?? 1.96;
  const half = (t * sd) / Math.sqrt(k);
  return { mean, interval: [mean - half, mean + half] };
}

/** Whether two intervals share a point. */
export const overlaps = (a: Interval, b: Interval) => a[0] <= b[1] && b[0] <= a[1];
