import { describe, expect, it } from 'vitest';
import { Rng } from '../core/index.ts';
import { fitLinearSfa, slownessStats, symmetricEigen, type FeatureSequence } from './sfa-linear.ts';

describe('symmetricEigen', () => {
  it('reconstructs a random symmetric matrix from ascending eigenpairs', () => {
    const n = 7;
    const rng = new Rng(3);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.normal();
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 1; i < n; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
        expect(s).toBeCloseTo(a[i * n + j]!, 9);
      }
    }
  });
});

describe('linear SFA', () => {
  // The classic demo: a slow and a fast sine, linearly mixed with noise dimensions.
  function mixed(seed: number, sequences: number, rows: number): FeatureSequence[] {
    const rng = new Rng(seed);
    const mix = Array.from({ length: 4 * 4 }, () => rng.normal());
    return Array.from({ length: sequences }, () => {
      const phase = rng.uniform(0, 2 * Math.PI);
      const data = new Float64Array(rows * 4);
      for (let t = 0; t < rows; t++) {
        const src = [
          Math.sin(phase + t * 0.02),
          Math.sin(5 * phase + t * 0.9),
          rng.normal(),
          rng.normal(),
        ];
        for (let o = 0; o < 4; o++) {
          let s = 0;
          for (let i = 0; i < 4; i++) s += mix[o * 4 + i]! * src[i]!;
          data[t * 4 + o] = s;
        }
      }
      return { data, rows };
    });
  }

  it('recovers the slow source from a linear mixture, on held-out sequences', () => {
    const sfa = fitLinearSfa({ sequences: mixed(1, 20, 200), dim: 4, outputs: 2 });
    const heldOut = mixed(1, 30, 200).slice(20).map(sfa.apply);
    const stats = slownessStats(heldOut, 2);
    const raw = slownessStats(mixed(1, 30, 200).slice(20), 4);
    // The slowest output changes ~0.02 rad per step: Δ ≈ 0.02² · 2 ≪ any mixed input's Δ.
    expect(stats.deltas[0]!).toBeLessThan(0.01);
    expect(Math.min(...raw.deltas)).toBeGreaterThan(0.1);
    expect(stats.maxOffDiagonalCorrelation).toBeLessThan(0.2);
  });

  it('refuses more outputs than directions that carry variance', () => {
    const rows = 50;
    const data = new Float64Array(rows * 3);
    for (let t = 0; t < rows; t++) [data[t * 3], data[t * 3 + 1], data[t * 3 + 2]] = [t, 2 * t, 0];
    expect(() => fitLinearSfa({ sequences: [{ data, rows }], dim: 3, outputs: 2 })).toThrow(
      /variance/,
    );
  });
});
