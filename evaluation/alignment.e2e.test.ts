import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findPython, Rng, DatadietError } from '../core/index.ts';
import {
  alignmentScores,
  blurClickme,
  CLICKME_CEILING,
  clickmeKernel,
  clickmeReference,
  diceIou,
  type Map2D,
  resizeBilinear,
  spearman,
  percentileMask,
  isConstant,
} from './alignment.ts';

const map = (rows: number[][]): Map2D => ({
  data: Float32Array.from(rows.flat()),
  h: rows.length,
  w: rows[0]!.length,
});
const rows = (m: Map2D): number[][] =>
  Array.from({ length: m.h }, (_, r) => Array.from(m.data.subarray(r * m.w, (r + 1) * m.w)));

// S = Σ_{t=-5..4} exp(-t²/200) = 9.59114686402294, so the kernel's normaliser is S² = 91.99009816725709.
const Z = 91.99009816725709;

describe('spearman', () => {
  it('matches scipy.stats.spearmanr on an input with ties (its documented example)', () => {
    // scipy: spearmanr([1,2,3,4,5],[5,6,7,8,7]).statistic = 0.8207826816681233 = 8/sqrt(95)
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
  });

  it('is 1 / -1 for any monotone relation and 0 for balanced ties', () => {
    expect(spearman([1, 2, 3, 4], [1, 10, 100, 1000])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [9, 3, 2, -5])).toBeCloseTo(-1, 12);
    // ranks (1.5,1.5,3.5,3.5) vs (1.5,3.5,1.5,3.5): uncorrelated
    expect(spearman([1, 1, 2, 2], [1, 2, 1, 2])).toBeCloseTo(0, 12);
  });

  it('returns 0, never NaN, for constant or too-short input', () => {
    expect(spearman([3, 3, 3], [1, 2, 3])).toBe(0);
    expect(spearman([1], [2])).toBe(0);
    // NaN ranks as the largest value, so it cannot poison the mean
    expect(spearman([1, NaN, 2], [1, 3, 2])).toBeCloseTo(1, 12);
    expect(() => spearman([1, 2], [1])).toThrow(RangeError);
  });
});

describe('percentileMask and diceIou (Harmonization: pixels > np.percentile(x, 90))', () => {
  it('keeps pixels strictly above the interpolated percentile, so ties at it are all out', () => {
    const m = map([
      [5, 1, 9, 9],
      [0, 9, 2, 3],
    ]);
    // np.percentile(m, 75) = 9 (sorted 0 1 2 3 5 9 9 9, position 5.25): nothing is above it.
    expect(Array.from(percentileMask(m, 0.25))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    // np.percentile(m, 50) = 4: 5 and the three 9s.
    expect(Array.from(percentileMask(m, 0.5))).toEqual([1, 0, 1, 1, 0, 1, 0, 0]);
    expect(() => percentileMask(m, 0)).toThrow(RangeError);
  });

  it('keeps fewer than 10 % where a small blurred part leaves the rest of the map at 0', () => {
    // 100 pixels, 4 of them non-zero: the 90th percentile is 0, so the mask is those 4 (not 10).
    const data = new Float32Array(100);
    data[44] = 1;
    data[45] = 0.5;
    data[54] = 0.5;
    data[55] = 0.25;
    const mask = percentileMask({ data, h: 10, w: 10 }, 0.1);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(4);
    // A constant map has an empty mask; two empty masks score 0 (Harmonization's ε), never NaN.
    const flat: Map2D = { data: new Float32Array(100), h: 10, w: 10 };
    expect(diceIou(flat, flat)).toEqual({ dice: 0, iou: 0 });
    expect(isConstant(flat.data)).toBe(true);
    expect(isConstant(data)).toBe(false);
  });

  it('computes Dice and IoU of the masks', () => {
    // 20 pixels 0…19: np.percentile(·, 90) = 17.1 → {18, 19}; b: percentile 0 → {5, 19}.
    const a: Map2D = { data: Float32Array.from({ length: 20 }, (_, i) => i), h: 4, w: 5 };
    const b: Map2D = { data: new Float32Array(20), h: 4, w: 5 };
    b.data[19] = 2;
    b.data[5] = 1;
    const { dice, iou } = diceIou(a, b);
    expect(dice).toBeCloseTo(0.5, 12); // 2·1 / (2 + 2)
    expect(iou).toBeCloseTo(1 / 3, 12); // 1 / 3
    expect(diceIou(a, a)).toEqual({ dice: 1, iou: 1 });
  });

  const peer = findPython(['numpy']);
  if (peer.python === null) console.warn(`skipping the NumPy percentile check: ${peer.reason}`);
  it.skipIf(peer.python === null)('matches NumPy on random maps with ties', () => {
    const rng = new Rng(3, 'maps');
    const maps = Array.from({ length: 5 }, (_, k) =>
      Float32Array.from({ length: 37 }, () => Math.round(rng.uniform(0, k + 2)) / 4),
    );
    const script = `import json,sys,numpy as np
maps=json.load(sys.stdin)
print(json.dumps([(np.asarray(m,np.float32)>np.percentile(np.asarray(m,np.float32),90)).astype(int).tolist() for m in maps]))`;
    const out = execFileSync(peer.python!, ['-c', script], {
      input: JSON.stringify(maps.map((m) => Array.from(m))),
    });
    const expected = JSON.parse(out.toString()) as number[][];
    maps.forEach((m, k) =>
      expect(Array.from(percentileMask({ data: m, h: 1, w: 37 }, 0.1))).toEqual(expected[k]),
    );
  });
});

describe('ClickMe blur (tf.nn.conv2d SAME)', () => {
  it('builds the Harmonization kernel: 10x10, sums to 1, peak at row 4 column 5', () => {
    const k = clickmeKernel();
    expect(k.length).toBe(100);
    expect(k.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    expect(k[4 * 10 + 5]).toBeCloseTo(1 / Z, 8); // x = 0, y = 0
    expect(k[0]).toBeCloseTo(Math.exp(-41 / 200) / Z, 8); // x = -5, y = 4
    expect(k[9 * 10 + 0]).toBeCloseTo(Math.exp(-50 / 200) / Z, 8); // x = -5, y = -5
    expect(Math.max(...k)).toBe(k[4 * 10 + 5]);
  });

  it('pads 4 before and 5 after, so a blurred impulse peaks one column to its left', () => {
    const impulse: Map2D = { data: new Float32Array(12 * 12), h: 12, w: 12 };
    impulse.data[6 * 12 + 6] = 1;
    const out = blurClickme(impulse);
    expect(out.h).toBe(12);
    expect(out.w).toBe(12);
    // out[r][c] = K[6 - r + 4][6 - c + 4]
    expect(out.data[6 * 12 + 5]).toBeCloseTo(0.01087073521958627, 8); // K[4][5]
    expect(out.data[6 * 12 + 6]).toBeCloseTo(0.010816517201487743, 8); // K[4][4]: x=-1
    expect(out.data[6 * 12 + 7]).toBeCloseTo(0.010655480240107481, 8); // K[4][3]: x=-2
    expect(out.data[6 * 12 + 11]).toBe(0); // j = -1: outside the kernel
    expect(out.data[0 * 12 + 6]).toBe(0); // i = 10: outside the kernel
    expect(out.data[1 * 12 + 6]).toBeCloseTo(Math.exp(-26 / 200) / Z, 8); // K[9][4]: y=-5, x=-1
  });

  it('zero-pads at the borders (1x2 maps)', () => {
    // out[0][0] of [1, 0] uses only K[4][4]; of [0, 1] only K[4][5]
    expect(blurClickme(map([[1, 0]])).data[0]).toBeCloseTo(Math.exp(-1 / 200) / Z, 8);
    expect(blurClickme(map([[0, 1]])).data[0]).toBeCloseTo(1 / Z, 8);
    expect(blurClickme(map([[0, 1]])).data[1]).toBeCloseTo(Math.exp(-1 / 200) / Z, 8);
  });
});

describe('resizeBilinear (tf.image.resize, half-pixel centres)', () => {
  it('downsamples 4x4 → 2x2 to the 2x2 block means', () => {
    const m: Map2D = { data: Float32Array.from({ length: 16 }, (_, i) => i), h: 4, w: 4 };
    expect(rows(resizeBilinear(m, 2, 2))).toEqual([
      [2.5, 4.5],
      [10.5, 12.5],
    ]);
  });

  it('upsamples 2x2 → 4x4 with clamped edges', () => {
    expect(
      rows(
        resizeBilinear(
          map([
            [0, 1],
            [2, 3],
          ]),
          4,
          4,
        ),
      ),
    ).toEqual([
      [0, 0.25, 0.75, 1],
      [0.5, 0.75, 1.25, 1.5],
      [1.5, 1.75, 2.25, 2.5],
      [2, 2.25, 2.75, 3],
    ]);
  });

  it('handles non-integer scales (1x3 → 1x2 samples at 0.25 and 1.75)', () => {
    expect(rows(resizeBilinear(map([[0, 10, 20]]), 1, 2))).toEqual([[2.5, 17.5]]);
  });
});

describe('clickmeReference and alignmentScores', () => {
  it('maps 256² human maps to 224² and keeps a constant map at 1 away from the zero-padded edge', () => {
    const ones: Map2D = { data: new Float32Array(256 * 256).fill(1), h: 256, w: 256 };
    const ref = clickmeReference(ones);
    expect([ref.h, ref.w]).toEqual([224, 224]);
    expect(ref.data[112 * 224 + 112]).toBeCloseTo(1, 5);
    expect(ref.data[0]!).toBeLessThan(0.6); // corner: most of the kernel falls on padding
  });

  it('scores a map against itself as perfect, and a reversed map as anti-aligned', () => {
    const ref: Map2D = {
      data: Float32Array.from({ length: 100 }, (_, i) => (i * 37) % 101),
      h: 10,
      w: 10,
    };
    const self = alignmentScores(ref, ref, { ceiling: CLICKME_CEILING });
    expect(self.spearman).toBeCloseTo(1, 12);
    expect(self.spearmanNormalised).toBeCloseTo(1 / 0.65753, 10);
    expect(self.dice).toBe(1);
    expect(self.iou).toBe(1);
    const reversed = { ...ref, data: ref.data.map((v) => -v) };
    const anti = alignmentScores(reversed, ref);
    expect(anti.spearman).toBeCloseTo(-1, 12);
    expect(anti.spearmanNormalised).toBeUndefined();
    expect(anti.dice).toBe(0);
  });

  it('rejects a saliency map whose size differs from the reference with a coded error', () => {
    const a: Map2D = { data: new Float32Array(4), h: 2, w: 2 };
    const b: Map2D = { data: new Float32Array(9), h: 3, w: 3 };
    expect(() => alignmentScores(a, b)).toThrow(DatadietError);
    try {
      alignmentScores(a, b);
    } catch (e) {
      expect((e as DatadietError).code).toBe('MODEL_DATA_MISMATCH');
    }
  });
});
