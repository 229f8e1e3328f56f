/** Frozen features of in-memory image sets, batched, with progress. */
import * as tf from '@tensorflow/tfjs';

/** Async reads: tfjs-webgpu in Node has no dataSync, so evaluation runs on every backend. */
export async function extractFeatures(opts: {
  features: (x: tf.Tensor4D) => tf.Tensor2D;
  images: Float32Array;
  n: number;
  h: number;
  w: number;
  batchSize?: number;
  onBatch?: (done: number) => void;
}): Promise<{ data: Float32Array; dim: number }> {
  const bs = opts.batchSize ?? 32;
  const px = opts.h * opts.w * 3;
  const parts: Float32Array[] = [];
  let dim = 0;
  for (let s = 0; s < opts.n; s += bs) {
    const m = Math.min(bs, opts.n - s);
    const f = tf.tidy(() =>
      opts.features(
        tf.tensor4d(opts.images.subarray(s * px, (s + m) * px), [m, opts.h, opts.w, 3]),
      ),
    );
    dim = f.shape[1];
    parts.push((await f.data()) as Float32Array);
    f.dispose();
    opts.onBatch?.(s + m);
  }
  const data = new Float32Array(opts.n * dim);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return { data, dim };
}
