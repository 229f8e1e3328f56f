/** Per-sequence features of a dataset split, for held-out statistics and linear baselines. */
import * as tf from '@tensorflow/tfjs';
import { createLoader, disposeBatch, readDataInfo } from './loader.ts';
import type { FeatureSequence } from './sfa-linear.ts';

export async function sequenceFeatures(opts: {
  dir: string;
  /** frames [N, H, W, 3] → features [N, D] */
  apply: (x: tf.Tensor4D) => tf.Tensor2D;
  split?: 'train' | 'heldout' | 'all';
  heldOutEvery?: number;
  size?: [number, number];
  eye?: 'left' | 'right';
}): Promise<{ sequences: FeatureSequence[]; dim: number; keys: string[] }> {
  // The manifest, not a probe loader: a loader's default 2-frame clip fails on 1-frame datasets.
  const info = await readDataInfo(opts.dir);
  const loader = await createLoader({
    dir: opts.dir,
    batchSize: 1,
    clipLength: info.frames,
    eyes: opts.eye === 'right' ? 'both' : 'left',
    shuffleBuffer: 1,
    repeat: false,
    prefetch: 0,
    split: opts.split ?? 'all',
    heldOutEvery: opts.heldOutEvery ?? 0,
    size: opts.size,
  });
  const sequences: FeatureSequence[] = [];
  const keys: string[] = [];
  let dim = 0;
  for await (const b of loader.batches()) {
    const clip = opts.eye === 'right' ? (b.right as tf.Tensor5D) : b.left;
    const f = tf.tidy(() => {
      const [, t, h, w] = clip.shape;
      return opts.apply(clip.reshape([t, h, w, 3]));
    });
    dim = f.shape[1];
    // Async read: tfjs-webgpu in Node has no dataSync.
    sequences.push({ data: Float64Array.from(await f.data()), rows: f.shape[0] });
    keys.push(b.keys[0] ?? '');
    f.dispose();
    disposeBatch(b);
  }
  return { sequences, dim, keys };
}
