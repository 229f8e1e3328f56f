/**
 * Held-out slowness figures on synthetic sequences with known structure, checked against the
 * training module's own slowness statistics (an independent implementation) and brute force.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/index.ts';
import { slownessStats } from '../training/index.ts';
import { slownessFigures, type FeatureSeq } from './slowness.ts';

/** Output 0 a slow random walk, 1 white noise, 2 = 0.8·output 1 + noise, 3 constant. */
function sequences(count: number, rows: number, seed: number): FeatureSeq[] {
  const rng = new Rng(seed, 'seqs');
  return Array.from({ length: count }, () => {
    const data = new Float64Array(rows * 4);
    let walk = rng.normal();
    for (let r = 0; r < rows; r++) {
      walk += 0.05 * rng.normal();
      const fast = rng.normal();
      data.set([walk, fast, 0.8 * fast + 0.6 * rng.normal(), 2], r * 4);
    }
    return { data, rows };
  });
}

describe('held-out slowness', () => {
  it('matches the training statistics and brute force, and counts constant outputs', () => {
    const seqs = sequences(20, 10, 1);
    const f = slownessFigures(seqs, 4, new Rng(2, 'b'));
    const live = seqs.map((s) => ({
      rows: s.rows,
      data: Float64Array.from(
        { length: s.rows * 3 },
        (_, i) => s.data[Math.floor(i / 3) * 4 + (i % 3)]!,
      ),
    }));
    const ref = slownessStats(live, 3);
    expect(f.delta).toBeCloseTo(ref.meanDelta, 9);
    expect(f.feature_std).toBeCloseTo((ref.rawStd.reduce((a, b) => a + b, 0) + 0) / 4, 9);
    expect(f.constant_outputs).toBe(1);
    // Brute-force mean |corr| over the three live pairs.
    const rows = live.flatMap((s) =>
      Array.from({ length: s.rows }, (_, r) => Array.from(s.data.subarray(r * 3, r * 3 + 3))),
    );
    const col = (j: number) => rows.map((r) => r[j]!);
    const corr = (a: number[], b: number[]) => {
      const ma = a.reduce((x, y) => x + y, 0) / a.length;
      const mb = b.reduce((x, y) => x + y, 0) / b.length;
      let sab = 0;
      let saa = 0;
      let sbb = 0;
      a.forEach((v, i) => {
        sab += (v - ma) * (b[i]! - mb);
        saa += (v - ma) ** 2;
        sbb += (b[i]! - mb) ** 2;
      });
      return sab / Math.sqrt(saa * sbb);
    };
    const want =
      (Math.abs(corr(col(0), col(1))) +
        Math.abs(corr(col(0), col(2))) +
        Math.abs(corr(col(1), col(2)))) /
      3;
    expect(f.mean_abs_correlation).toBeCloseTo(want, 9);
    expect(f.sequences).toBe(20);
    expect(f.frames).toBe(200);
  });

  it('separates slow from fast features, with intervals over sequences that hold the estimate', () => {
    const seqs = sequences(30, 12, 3);
    const slow = seqs.map((s) => ({
      rows: s.rows,
      data: Float64Array.from({ length: s.rows }, (_, r) => s.data[r * 4]!),
    }));
    const fast = seqs.map((s) => ({
      rows: s.rows,
      data: Float64Array.from({ length: s.rows }, (_, r) => s.data[r * 4 + 1]!),
    }));
    const a = slownessFigures(slow, 1, new Rng(4, 'b'));
    const b = slownessFigures(fast, 1, new Rng(4, 'b'));
    // White noise: Δ = 2 (E[(x_t − x_{t−1})²] = 2σ²); a walk with small steps: far below.
    expect(b.delta).toBeGreaterThan(1.5);
    expect(b.delta).toBeLessThan(2.5);
    expect(a.delta).toBeLessThan(0.2);
    expect(a.delta_ci![1]).toBeLessThan(b.delta_ci![0]);
    expect(a.delta_ci![0]).toBeLessThanOrEqual(a.delta);
    expect(a.delta_ci![1]).toBeGreaterThanOrEqual(a.delta);
    expect(a.mean_abs_correlation).toBeNaN(); // one output: no pairs
  });
});
