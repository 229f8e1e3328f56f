/**
 * Gradient saliency as the Harmonization protocol defines it: |∂ logit_true / ∂ input|, max over
 * colour channels. SmoothGrad (Smilkov et al. 2017, eq. 3) averages the *gradient* over n copies of
 * the image with Gaussian noise of std sigma (pixels in [0, 1]) and then takes |·| and the channel
 * max, as the paper and Harmonization's explainers do; the noise is drawn from a seeded Rng.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/index.ts';

export interface SmoothGrad {
  n: number;
  sigma: number;
}

/**
 * Maps [rows.length, h, w] for images [*, h, w, 3] (rows picks which), each for its label's logit.
 * `logits` maps frames [B, h, w, 3] in [0, 1] to [B, C]; images in a batch must not interact
 * (true for every model here: no batch statistics at inference).
 */
export async function saliencyMaps(opts: {
  logits: (x: tf.Tensor4D) => tf.Tensor2D;
  images: Float32Array;
  h: number;
  w: number;
  rows: number[];
  labels: ArrayLike<number>;
  numClasses: number;
  smoothgrad?: SmoothGrad | undefined;
  rng: Rng;
  batchSize?: number;
  /** Called after each batch with the number of maps done. */
  onBatch?: (done: number) => void;
}): Promise<Float32Array> {
  const { h, w, rows } = opts;
  const px = h * w;
  const out = new Float32Array(rows.length * px);
  const bs = opts.batchSize ?? 16;
  const draws = opts.smoothgrad ? Math.max(1, opts.smoothgrad.n) : 1;
  for (let s = 0; s < rows.length; s += bs) {
    const batch = rows.slice(s, s + bs);
    const clean = new Float32Array(batch.length * px * 3);
    batch.forEach((r, i) =>
      clean.set(opts.images.subarray(r * px * 3, (r + 1) * px * 3), i * px * 3),
    );
    const target = tf.oneHot(
      tf.tensor1d(
        batch.map((r) => opts.labels[r]!),
        'int32',
      ),
      opts.numClasses,
    );
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(opts.logits(x as tf.Tensor4D), target)));
    const sum = new Float32Array(batch.length * px * 3);
    for (let d = 0; d < draws; d++) {
      let input = clean;
      if (opts.smoothgrad) {
        const rng = opts.rng.fork(`smoothgrad/${s}/${d}`);
        input = Float32Array.from(clean, (v) => v + rng.normal(0, opts.smoothgrad!.sigma));
      }
      const grad = tf.tidy(() => g(tf.tensor4d(input, [batch.length, h, w, 3])));
      // Async: tfjs-webgpu in Node has no synchronous read (it needs OffscreenCanvas).
      const data = await grad.data();
      grad.dispose();
      for (let i = 0; i < data.length; i++) sum[i]! += data[i]!;
    }
    for (let p = 0; p < batch.length * px; p++) {
      const m = Math.max(
        Math.abs(sum[p * 3]!),
        Math.abs(sum[p * 3 + 1]!),
        Math.abs(sum[p * 3 + 2]!),
      );
      out[s * px + p] = m / draws;
    }
    target.dispose();
    opts.onBatch?.(s + batch.length);
  }
  return out;
}
