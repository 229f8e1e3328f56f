/**
 * Next-frame prediction quality (PredNet runs): MSE and SSIM of the model's prediction of frame t
 * from frames < t, against the copy-last-frame baseline (predict frame t−1), over t ≥ 1 — the
 * KITTI table of Lotter et al. (MSE 0.0070 vs 0.0212) — and per time step, since t = 1 is
 * predicted from a single frame and later steps from more. Intervals are over clips.
 */
import { Rng } from '../core/index.ts';
import { meanInterval, type Interval } from './bootstrap.ts';
import * as tf from '@tensorflow/tfjs';
import { createLoader, disposeBatch } from '../training/index.ts';

/** Wang et al.'s window: 11×11 Gaussian, σ = 1.5 (smaller only for frames under 11 pixels). */
export const SSIM_WINDOW = 11;
const SSIM_SIGMA = 1.5;

function window2d(size: number, sigma: number): tf.Tensor4D {
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

/** SSIM (Wang et al. 2004, data range 1, 'valid' windows) of each image pair of [N, H, W, 3]. */
export async function ssimPerImage(a: tf.Tensor4D, b: tf.Tensor4D): Promise<Float32Array> {
  return readAndDispose(
    tf.tidy(() => {
      const size = Math.min(SSIM_WINDOW, a.shape[1], a.shape[2]);
      const win = window2d(size, SSIM_SIGMA);
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
      return tf.mean(tf.div(num, den), [1, 2, 3]);
    }),
  );
}

/**
 * Reads a tensor and frees it. Async: tfjs-webgpu in Node has no synchronous read (its dataSync
 * needs OffscreenCanvas), so every read on an evaluation path awaits `data()`.
 */
async function readAndDispose(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Mean SSIM of two batches [N, H, W, 3]. */
export async function ssim(a: tf.Tensor4D, b: tf.Tensor4D): Promise<number> {
  const v = await ssimPerImage(a, b);
  return v.reduce((x, y) => x + y, 0) / v.length;
}

export interface PredictionResult {
  clips: number;
  frames_per_clip: number;
  mse: number;
  mse_ci: Interval | null;
  copy_last_mse: number;
  copy_last_mse_ci: Interval | null;
  ssim: number;
  ssim_ci: Interval | null;
  copy_last_ssim: number;
  copy_last_ssim_ci: Interval | null;
  mse_per_t: number[];
  copy_last_mse_per_t: number[];
  ssim_window: string;
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
  seed?: number;
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
  // Per clip: mean over t ≥ 1 (the bootstrap's units); per step: sums over clips.
  const perClip = {
    mse: [] as number[],
    copy: [] as number[],
    ssim: [] as number[],
    copySsim: [] as number[],
  };
  const perT = { mse: [] as number[], copy: [] as number[] };
  const examples: PredictionResult['examples'] = [];
  const rowMse = (x: tf.Tensor4D, y: tf.Tensor4D) =>
    readAndDispose(tf.tidy(() => tf.mean(tf.squaredDifference(x, y), [1, 2, 3])));
  for await (const b of loader.batches()) {
    if (clips >= opts.maxClips) {
      disposeBatch(b);
      break; // `break` returns the loader's generator, which closes the shard reader
    }
    const preds = opts.predictFrames(b.left);
    const T = b.left.shape[1];
    const frames = tf.unstack(b.left, 1) as tf.Tensor4D[];
    const B = b.left.shape[0];
    const acc = {
      mse: new Float64Array(B),
      copy: new Float64Array(B),
      ssim: new Float64Array(B),
      copySsim: new Float64Array(B),
    };
    for (let t = 1; t < T; t++) {
      const p = preds[t]!;
      const target = frames[t]!;
      const prev = frames[t - 1]!;
      const m = await rowMse(p, target);
      const c = await rowMse(prev, target);
      const sp = await ssimPerImage(p, target);
      const sc = await ssimPerImage(prev, target);
      for (let i = 0; i < B; i++) {
        acc.mse[i]! += m[i]! / (T - 1);
        acc.copy[i]! += c[i]! / (T - 1);
        acc.ssim[i]! += sp[i]! / (T - 1);
        acc.copySsim[i]! += sc[i]! / (T - 1);
        perT.mse[t - 1] = (perT.mse[t - 1] ?? 0) + m[i]!;
        perT.copy[t - 1] = (perT.copy[t - 1] ?? 0) + c[i]!;
      }
    }
    perClip.mse.push(...acc.mse);
    perClip.copy.push(...acc.copy);
    perClip.ssim.push(...acc.ssim);
    perClip.copySsim.push(...acc.copySsim);
    const want = opts.examples ?? 4;
    for (let i = 0; i < B && examples.length < want; i++) {
      const pick = (x: tf.Tensor4D, clip = false) =>
        readAndDispose(
          tf.tidy(() => {
            const one = x.slice([i, 0, 0, 0], [1, h, w, 3]);
            return clip ? tf.clipByValue(one, 0, 1) : one;
          }),
        );
      examples.push({
        previous: await pick(frames[T - 2]!),
        prediction: await pick(preds[T - 1]!, true),
        target: await pick(frames[T - 1]!),
      });
    }
    tf.dispose([...preds, ...frames]);
    clips += B;
    disposeBatch(b);
  }
  const rng = new Rng(opts.seed ?? 0, 'prediction');
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const n = perClip.mse.length;
  return {
    clips,
    frames_per_clip: opts.clipLength,
    mse: mean(perClip.mse),
    mse_ci: meanInterval(perClip.mse, rng.fork('mse')),
    copy_last_mse: mean(perClip.copy),
    copy_last_mse_ci: meanInterval(perClip.copy, rng.fork('copy')),
    ssim: mean(perClip.ssim),
    ssim_ci: meanInterval(perClip.ssim, rng.fork('ssim')),
    copy_last_ssim: mean(perClip.copySsim),
    copy_last_ssim_ci: meanInterval(perClip.copySsim, rng.fork('copy-ssim')),
    mse_per_t: perT.mse.map((v) => v / n),
    copy_last_mse_per_t: perT.copy.map((v) => v / n),
    ssim_window: `${Math.min(SSIM_WINDOW, h, w)}×${Math.min(SSIM_WINDOW, h, w)} Gaussian, σ = ${SSIM_SIGMA}`,
    examples,
    h,
    w,
  };
}
