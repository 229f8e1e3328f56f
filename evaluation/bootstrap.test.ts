/** The bootstrap intervals cover a known value at about the nominal 95 % rate on synthetic data. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/index.ts';
import { acrossSeeds, differenceInterval, meanInterval, overlaps } from './bootstrap.ts';

const REPS = 300;

describe('bootstrap intervals', () => {
  it('cover the true top-1 of a Bernoulli(0.7) classifier on 60 images about 95 % of the time', () => {
    const rng = new Rng(1, 'data');
    let covered = 0;
    let width = 0;
    for (let r = 0; r < REPS; r++) {
      const hits = Float64Array.from({ length: 60 }, () => (rng.uniform(0, 1) < 0.7 ? 1 : 0));
      const ci = meanInterval(hits, rng.fork(`boot-${r}`), 500)!;
      if (ci[0] <= 0.7 && 0.7 <= ci[1]) covered++;
      width += (ci[1] - ci[0]) / REPS;
    }
    // Binomial sd of the coverage over 300 replicates is ~0.013; the percentile bootstrap of a
    // mean undercovers slightly at n = 60. Width ≈ 2·1.96·sqrt(0.21/60) = 0.23.
    expect(covered / REPS).toBeGreaterThan(0.9);
    expect(covered / REPS).toBeLessThan(0.985);
    expect(width).toBeGreaterThan(0.2);
    expect(width).toBeLessThan(0.26);
  });

  it('cover a difference of two independent means (the shortcut drop)', () => {
    const rng = new Rng(2, 'data');
    let covered = 0;
    for (let r = 0; r < REPS / 3; r++) {
      const a = Float64Array.from({ length: 40 }, () => rng.normal(0.8, 0.3));
      const b = Float64Array.from({ length: 50 }, () => rng.normal(0.5, 0.3));
      const ci = differenceInterval(a, b, rng.fork(`boot-${r}`))!;
      if (ci[0] <= 0.3 && 0.3 <= ci[1]) covered++;
    }
    expect(covered / (REPS / 3)).toBeGreaterThan(0.88);
    expect(covered / (REPS / 3)).toBeLessThan(0.995);
  });

  it('is seeded, and pools seeds with a Student-t interval', () => {
    const v = [0.1, 0.5, 0.3, 0.9, 0.2];
    expect(meanInterval(v, new Rng(3, 'b'))).toEqual(meanInterval(v, new Rng(3, 'b')));
    expect(meanInterval([], new Rng(3, 'b'))).toBeNull();
    const s = acrossSeeds([0.5, 0.6, 0.7]);
    // mean 0.6, sd 0.1, t(2) = 4.303: 0.6 ± 0.2484
    expect(s.mean).toBeCloseTo(0.6, 12);
    expect(s.interval![0]).toBeCloseTo(0.6 - (4.303 * 0.1) / Math.sqrt(3), 10);
    expect(acrossSeeds([0.5]).interval).toBeNull();
    expect(overlaps([0, 1], [1, 2])).toBe(true);
    expect(overlaps([0, 1], [1.1, 2])).toBe(false);
  });
});
