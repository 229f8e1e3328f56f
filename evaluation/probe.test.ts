/** The ridge probe, splits and saliency on small hand-checkable problems (no browser). */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/index.ts';
import { selectBackend } from '../training/index.ts';
import {
  chooseAlpha,
  DEFAULT_ALPHA,
  fitProbe,
  kFolds,
  probeAccuracy,
  probeHead,
  probeLogits,
  splitIndices,
  stratifiedFolds,
} from './probe.ts';
import { saliencyMaps } from './saliency.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** Two Gaussian blobs per class in d dims; class c is shifted along axis c. */
function blobs(n: number, d: number, classes: number, seed: number) {
  const rng = new Rng(seed, 'blobs');
  const features = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes;
    for (let j = 0; j < d; j++)
      features[i * d + j] = rng.normal() * 0.3 + (j === labels[i] ? 2 : 0);
  }
  return { features, labels };
}

describe('ridge probe', () => {
  it('separates separable classes and generalises to held-out rows', () => {
    const { features, labels } = blobs(90, 6, 3, 1);
    const split = splitIndices({ labels, heldOutFraction: 0.3, rng: new Rng(2, 'split') });
    expect(split.fit.length + split.heldOut.length).toBe(90);
    expect(new Set([...split.fit, ...split.heldOut]).size).toBe(90);
    // Stratified: each class has its share held out.
    for (let c = 0; c < 3; c++)
      expect(split.heldOut.filter((r) => labels[r] === c)).toHaveLength(9);
    const p = fitProbe({ features, dim: 6, labels, idx: split.fit, numClasses: 5 });
    expect(probeAccuracy(p, features, labels, split.heldOut)).toBe(1);
    // Classes 3 and 4 were never seen: never predicted.
    expect(p.seen).toEqual([true, true, true, false, false]);
    const l = probeLogits(p, features.subarray(0, 6), 1);
    expect(Math.max(l[3]!, l[4]!)).toBeLessThan(-100);
  });

  it('gives the same probe from the primal and the dual system', () => {
    // d > n selects the dual; the same rows with padding features of zeros select the primal.
    const { features, labels } = blobs(12, 20, 2, 3);
    const idx = Array.from({ length: 12 }, (_, i) => i);
    const dual = fitProbe({ features, dim: 20, labels, idx, numClasses: 2, alpha: 0.1 });
    // Repeat the 12 rows so n ≥ d: the solution of the same normal equations, scaled.
    const rows = Array.from({ length: 24 }, (_, i) => i % 12);
    const primal = fitProbe({ features, dim: 20, labels, idx: rows, numClasses: 2, alpha: 0.1 });
    const a = probeLogits(dual, features, 12);
    const b = probeLogits(primal, features, 12);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 6);
  });

  it('matches its tfjs head and splits folds deterministically', async () => {
    const { features, labels } = blobs(30, 4, 3, 5);
    const p = fitProbe({
      features,
      dim: 4,
      labels,
      idx: Array.from({ length: 30 }, (_, i) => i),
      numClasses: 3,
    });
    const head = probeHead(p);
    const t = head.apply(tf.tensor2d(features, [30, 4]));
    const js = probeLogits(p, features, 30);
    const data = await t.data();
    for (let i = 0; i < js.length; i++) expect(data[i]).toBeCloseTo(js[i]!, 4);
    t.dispose();
    head.dispose();
    const f1 = kFolds(10, 3, new Rng(1, 'f'));
    expect(f1).toEqual(kFolds(10, 3, new Rng(1, 'f')));
    expect(f1.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(f1.map((f) => f.length).sort()).toEqual([3, 3, 4]);
  });
});

describe('saliency', () => {
  it('is |∂ logit_true / ∂ x| max over channels, and SmoothGrad is seeded', async () => {
    // logits = [Σ 2·x(0,0,c) , −3·x(1,1,2)] on 2×2 images: hand-computed gradients.
    const logits = (x: tf.Tensor4D) =>
      tf.stack(
        [
          tf.mul(tf.sum(x.slice([0, 0, 0, 0], [-1, 1, 1, 3]), [1, 2, 3]), 2),
          tf.mul(x.slice([0, 1, 1, 2], [-1, 1, 1, 1]).reshape([-1]), -3),
        ],
        1,
      ) as tf.Tensor2D;
    const images = new Float32Array(2 * 2 * 2 * 3).fill(0.5);
    const maps = await saliencyMaps({
      logits,
      images,
      h: 2,
      w: 2,
      rows: [0, 1],
      labels: [0, 1],
      numClasses: 2,
      rng: new Rng(0, 's'),
    });
    expect(Array.from(maps)).toEqual([2, 0, 0, 0, 0, 0, 0, 3]);
    const sg = (seed: number) =>
      saliencyMaps({
        logits: (x) =>
          tf.stack([tf.square(x).sum([1, 2, 3]), tf.zeros([x.shape[0]])], 1) as tf.Tensor2D,
        images,
        h: 2,
        w: 2,
        rows: [0],
        labels: [0],
        numClasses: 2,
        smoothgrad: { n: 4, sigma: 0.2 },
        rng: new Rng(seed, 's'),
      });
    expect(Array.from(await sg(1))).toEqual(Array.from(await sg(1)));
    expect(Array.from(await sg(1))).not.toEqual(Array.from(await sg(2)));
    // Without noise the gradient of Σx² is 2x = 1 everywhere; the noise moves it.
    expect(Array.from(await sg(1)).every((v) => v !== 1)).toBe(true);
  });

  it('SmoothGrad averages signed gradients, then takes |·| and the channel max (Smilkov et al.)', async () => {
    // logit = Σ (x − 0.5)² at x = 0.5: the gradient is 2·noise, so the mean gradient is near 0,
    // while a mean of |∇| would be ≈ 2·0.8·σ.
    const images = new Float32Array(2 * 2 * 3).fill(0.5);
    const n = 64;
    const sigma = 0.2;
    const maps = await saliencyMaps({
      logits: (x) =>
        tf.stack(
          [tf.square(tf.sub(x, 0.5)).sum([1, 2, 3]), tf.zeros([x.shape[0]])],
          1,
        ) as tf.Tensor2D,
      images,
      h: 2,
      w: 2,
      rows: [0],
      labels: [0],
      numClasses: 2,
      smoothgrad: { n, sigma },
      rng: new Rng(9, 's'),
    });
    // The same noise, drawn here: map = max_c |Σ_d 2·(x + ε_d − 0.5)| / n.
    const sums = new Float64Array(12);
    for (let d = 0; d < n; d++) {
      const rng = new Rng(9, 's').fork(`smoothgrad/0/${d}`);
      for (let i = 0; i < 12; i++) sums[i]! += 2 * (Math.fround(0.5 + rng.normal(0, sigma)) - 0.5);
    }
    for (let p = 0; p < 4; p++) {
      const want = Math.max(...[0, 1, 2].map((c) => Math.abs(sums[p * 3 + c]!))) / n;
      expect(maps[p]).toBeCloseTo(want, 4);
      expect(maps[p]).toBeLessThan(0.25); // mean |∇| would be ≥ 0.32
    }
  });
});

describe('stratified folds and the inner-CV ridge strength', () => {
  it('deals every class evenly over the folds', () => {
    const labels = Int32Array.from({ length: 23 }, (_, i) => (i < 10 ? 0 : i < 19 ? 1 : 2));
    const rows = Array.from({ length: 23 }, (_, i) => i);
    const folds = stratifiedFolds({ labels, rows, k: 5, rng: new Rng(1, 'f') });
    expect(folds.flat().sort((a, b) => a - b)).toEqual(rows);
    for (const c of [0, 1, 2]) {
      const counts = folds.map((f) => f.filter((r) => labels[r] === c).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    const sizes = folds.map((f) => f.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('regularises wide noisy features harder than a fixed α, and predicts better for it', () => {
    // 3 informative dims among 47 noise dims, 60 fit rows: a near-unregularised fit overfits.
    const d = 50;
    const rng = new Rng(4, 'wide');
    const n = 200;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const features = new Float32Array(n * d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++)
        features[i * d + j] = rng.normal() + (j < 3 && j === labels[i] ? 1.2 : 0);
    const fit = Array.from({ length: 60 }, (_, i) => i);
    const test = Array.from({ length: n - 60 }, (_, i) => i + 60);
    const choice = chooseAlpha({
      features,
      dim: d,
      labels,
      idx: fit,
      numClasses: 3,
      rng: new Rng(5, 'cv'),
    });
    expect(choice.folds).toBe(5);
    expect(choice).toEqual(
      chooseAlpha({ features, dim: d, labels, idx: fit, numClasses: 3, rng: new Rng(5, 'cv') }),
    );
    expect(choice.alpha).toBeGreaterThan(DEFAULT_ALPHA);
    const acc = (alpha: number) =>
      probeAccuracy(
        fitProbe({ features, dim: d, labels, idx: fit, numClasses: 3, alpha }),
        features,
        labels,
        test,
      );
    expect(acc(choice.alpha)).toBeGreaterThan(acc(DEFAULT_ALPHA));
  });
});
