/**
 * How much of a saliency map is the stride checkerboard: the share of its energy (mean removed)
 * near the Nyquist frequencies, where a stride-2 encoder's gradient pattern lives. Measured by a
 * plain 2-D DFT (maps are tiny: 32² is 32·32·64 multiply-adds per row pass).
 */

/** Power |F(ky, kx)|² of a real h×w map, mean removed (DC = 0). */
export function powerSpectrum(map: ArrayLike<number>, h: number, w: number): Float64Array {
  let mean = 0;
  for (let i = 0; i < h * w; i++) mean += map[i]!;
  mean /= h * w;
  // Rows first: R[y, kx] = Σx m[y, x] e^{−2πi kx x / w}; then columns.
  const rr = new Float64Array(h * w);
  const ri = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let kx = 0; kx < w; kx++) {
      let [re, im] = [0, 0];
      for (let x = 0; x < w; x++) {
        const v = map[y * w + x]! - mean;
        const a = (-2 * Math.PI * kx * x) / w;
        re += v * Math.cos(a);
        im += v * Math.sin(a);
      }
      rr[y * w + kx] = re;
      ri[y * w + kx] = im;
    }
  }
  const power = new Float64Array(h * w);
  for (let ky = 0; ky < h; ky++) {
    for (let kx = 0; kx < w; kx++) {
      let [re, im] = [0, 0];
      for (let y = 0; y < h; y++) {
        const a = (-2 * Math.PI * ky * y) / h;
        const [c, s] = [Math.cos(a), Math.sin(a)];
        const [pr, pi] = [rr[y * w + kx]!, ri[y * w + kx]!];
        re += pr * c - pi * s;
        im += pr * s + pi * c;
      }
      power[ky * w + kx] = re * re + im * im;
    }
  }
  return power;
}

/** Circular distance between DFT bins k and target on an axis of n bins. */
const binDistance = (k: number, target: number, n: number) => {
  const d = Math.abs(k - target) % n;
  return Math.min(d, n - d);
};

/**
 * Share of a map's energy (mean removed) within `radius` bins (Chebyshev) of the three Nyquist
 * points (½, 0), (0, ½), (½, ½) cycles/pixel; null for a constant map. Equal for white noise
 * to `nyquistBaseline`: the fraction of non-DC bins in that neighbourhood.
 */
export function nyquistShare(
  map: ArrayLike<number>,
  h: number,
  w: number,
  radius = nyquistRadius(h, w),
): number | null {
  const p = powerSpectrum(map, h, w);
  let [near, total] = [0, 0];
  for (let ky = 0; ky < h; ky++) {
    for (let kx = 0; kx < w; kx++) {
      const v = p[ky * w + kx]!;
      total += v;
      if (nearNyquist(ky, kx, h, w, radius)) near += v;
    }
  }
  return total > 0 ? near / total : null;
}

/** The default neighbourhood: 1/16 of each axis' bins (2 bins at 32²). */
export const nyquistRadius = (h: number, w: number) => Math.max(0, Math.floor(Math.min(h, w) / 16));

function nearNyquist(ky: number, kx: number, h: number, w: number, radius: number): boolean {
  const ny = binDistance(ky, h / 2, h) <= radius;
  const nx = binDistance(kx, w / 2, w) <= radius;
  const zy = binDistance(ky, 0, h) <= radius;
  const zx = binDistance(kx, 0, w) <= radius;
  return (ny && nx) || (ny && zx) || (zy && nx);
}

/** What `nyquistShare` gives for white noise: the neighbourhood's share of the non-DC bins. */
export function nyquistBaseline(h: number, w: number, radius = nyquistRadius(h, w)): number {
  let n = 0;
  for (let ky = 0; ky < h; ky++) {
    for (let kx = 0; kx < w; kx++) if (nearNyquist(ky, kx, h, w, radius)) n++;
  }
  return n / (h * w - 1);
}
