/**
 * Next-frame prediction quality (PredNet runs): MSE and SSIM of the model's prediction of frame t
 * from frames < t, against the copy-last-frame baseline (predict frame t−1), over t ≥ 1 — the
 * KITTI table of Lotter et al. (MSE 0.0070 vs 0.0212).
 */
import * as tf from '@tensorflow/tfjs';
import { createLoader, disposeBatch } from '../training/index.ts';

/** Gaussian window 7×7, σ = 1.5 (the SSIM paper uses 11×11; our frames are tiny). */
function window2d(size = 7, sigma = 1.5): tf.Tensor4D {
  const g: number[] = [];
  let sum = 0;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const v = Math.exp(
        -((i - (size - 1) / 2) ** 2 + (j - (size - 1) / 2) ** 2) / (2 * sigma ** 2),
      );
      g.push(v);
      sum += v;
    }
  }
  const k = g.map((v) => v / sum);
  // Depthwise over the 3 colour channels.
  const data = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) data[p * 3 + c] = k[p]!;
  return tf.tensor4d(data, [size, size, 3, 1]);
}

/** Mean SSIM (Wang et al. 2004, data range 1) of two batches [N, H, W, 3]. */
export function ssim(a: tf.Tensor4D, b: tf.Tensor4D): number {
  return tf.tidy(() => {
    const size = Math.min(7, a.shape[1], a.shape[2]);
    const win = window2d(size, 1.5);
    const f = (x: tf.Tensor4D) => tf.depthwiseConv2d(x, win, 1, 'valid');
    const C1 = 0.01 ** 2;
    const C2 = 0.03 ** 2;
    const ma = f(a);
    const mb = f(b);
    const saa = tf.sub(f(tf.mul(a, a)), tf.mul(ma, ma));
    const sbb = tf.sub(f(tf.mul(b, b)), tf.mul(mb, mb));
    const sab = tf.sub(f(tf.mul(a, b)), tf.mul(ma, mb));
    const num = tf.mul(tf.add(tf.mul(tf.mul(ma, mb), 2), C1), tf.add(tf.mul(sab, 2), C2));
    const den = tf.mul(
      tf.add(tf.add(tf.mul(ma, ma), tf.mul(mb, mb)), C1),
      tf.add(tf.add(saa, sbb), C2),
    );
    return tf.mean(tf.div(num, den)).dataSync()[0]!;
  });
}

export interface PredictionResult {
  clips: number;
  frames_per_clip: number;
  mse: number;
  copy_last_mse: number;
  ssim: number;
  copy_last_ssim: number;
  /** For the figure: last input frame, prediction and target of a few clips, [h, w, 3] each. */
  examples: { previous: Float32Array; prediction: Float32Array; target: Float32Array }[];
  h: number;
  w: number;
}

export async function predictionMetrics(opts: {
  data: string;
  predictFrames: (frames: tf.Tensor5D) => tf.Tensor4D[];
  size: [number, number];
  clipLength: number;
  maxClips: number;
  examples?: number;
}): Promise<PredictionResult> {
  const loader = await createLoader({
    dir: opts.data,
    batchSize: 4,
    clipLength: opts.clipLength,
    clipStride: opts.clipLength,
    shuffleBuffer: 1,
    repeat: false,
    prefetch: 0,
    size: opts.size,
  });
  const [h, w] = opts.size;
  let clips = 0;
  let n = 0;
  const sums = { mse: 0, copy: 0, ssim: 0, copySsim: 0 };
  const examples: PredictionResult['examples'] = [];
  for await (const b of loader.batches()) {
    if (clips >= opts.maxClips) {
      disposeBatch(b);
      break; // `break` returns the loader's generator, which closes the shard reader
    }
    const preds = opts.predictFrames(b.left);
    const T = b.left.shape[1];
    const frames = tf.unstack(b.left, 1) as tf.Tensor4D[];
    const B = b.left.shape[0];
    for (let t = 1; t < T; t++) {
      const p = preds[t]!;
      const target = frames[t]!;
      const prev = frames[t - 1]!;
      sums.mse += tf.tidy(() => tf.mean(tf.squaredDifference(p, target)).dataSync()[0]!) * B;
      sums.copy += tf.tidy(() => tf.mean(tf.squaredDifference(prev, target)).dataSync()[0]!) * B;
      sums.ssim += ssim(p, target) * B;
      sums.copySsim += ssim(prev, target) * B;
      n += B;
    }
    const want = opts.examples ?? 4;
    for (let i = 0; i < B && examples.length < want; i++) {
      const pick = (x: tf.Tensor4D, clip = false) =>
        tf.tidy(() => {
          const one = x.slice([i, 0, 0, 0], [1, h, w, 3]);
          return (clip ? tf.clipByValue(one, 0, 1) : one).dataSync() as Float32Array;
        });
      examples.push({
        previous: pick(frames[T - 2]!),
        prediction: pick(preds[T - 1]!, true),
        target: pick(frames[T - 1]!),
      });
    }
    tf.dispose([...preds, ...frames]);
    clips += B;
    disposeBatch(b);
  }
  return {
    clips,
    frames_per_clip: opts.clipLength,
    mse: sums.mse / n,
    copy_last_mse: sums.copy / n,
    ssim: sums.ssim / n,
    copy_last_ssim: sums.copySsim / n,
    examples,
    h,
    w,
  };
}
