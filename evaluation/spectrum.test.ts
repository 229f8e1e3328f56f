import { describe, expect, it } from 'vitest';
import { Rng } from '../core/index.ts';
import { nyquistBaseline, nyquistShare, powerSpectrum } from './spectrum.ts';

const H = 16;
const W = 12;
const mapOf = (f: (y: number, x: number) => number) =>
  Float64Array.from({ length: H * W }, (_, i) => f(Math.floor(i / W), i % W));

describe('nyquistShare', () => {
  it('keeps Parseval: the spectrum sums to h·w times the energy', () => {
    const rng = new Rng(1, 'parseval');
    const m = mapOf(() => rng.uniform(0, 1));
    const mean = m.reduce((a, b) => a + b, 0) / m.length;
    const energy = m.reduce((a, b) => a + (b - mean) ** 2, 0);
    const total = powerSpectrum(m, H, W).reduce((a, b) => a + b, 0);
    expect(total / (H * W * energy)).toBeCloseTo(1, 9);
  });

  it('is 1 for a checkerboard, ≈ 0 for a smooth blob, and ≈ the baseline for white noise', () => {
    expect(
      nyquistShare(
        mapOf((y, x) => ((x + y) % 2) + 3),
        H,
        W,
      ),
    ).toBeCloseTo(1, 9);
    // Period 2 along rows only (stripes): (½, 0), inside too.
    expect(
      nyquistShare(
        mapOf((y) => y % 2),
        H,
        W,
      ),
    ).toBeCloseTo(1, 9);
    const blob = mapOf((y, x) => Math.exp(-((y - 8) ** 2 + (x - 6) ** 2) / 18));
    expect(nyquistShare(blob, H, W)!).toBeLessThan(1e-3);
    // A checkerboard under a blob envelope (a localised stride pattern) stays near Nyquist.
    const local = mapOf((y, x) => Math.exp(-((y - 8) ** 2 + (x - 6) ** 2) / 18) * ((x + y) % 2));
    // Half its energy is the envelope's own (low frequencies), half the modulated copy.
    expect(nyquistShare(local, H, W, 2)!).toBeGreaterThan(0.4);
    expect(nyquistShare(blob, H, W, 2)!).toBeLessThan(0.01);
    const rng = new Rng(2, 'noise');
    let s = 0;
    const reps = 200;
    for (let r = 0; r < reps; r++)
      s += nyquistShare(
        mapOf(() => rng.normal()),
        H,
        W,
      )!;
    const base = nyquistBaseline(H, W);
    // 12 columns: radius ⌊12/16⌋ = 0, so the three Nyquist bins alone.
    expect(base).toBeCloseTo(3 / (H * W - 1), 9);
    expect(Math.abs(s / reps - base)).toBeLessThan(0.01);
  });

  it('is null for a constant map', () => {
    expect(
      nyquistShare(
        mapOf(() => 2),
        H,
        W,
      ),
    ).toBeNull();
  });
});
