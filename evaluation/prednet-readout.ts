/**
 * PredNet's representation for the probe: its R units (Lotter et al. decode from these), pooled
 * per layer after the network has watched a short static clip of the image. The states come from
 * the training model's own forward pass (`recurrentStates`), so readout and training cannot drift.
 */
import * as tf from '@tensorflow/tfjs';

/** Frames a still image is shown for before its R units are read (t = 0 sees no error yet). */
export const PREDNET_READOUT_FRAMES = 4;

/**
 * Images [N, H, W, 3] (at the model's size) → [N, Σ channels]: each image held still for
 * `PREDNET_READOUT_FRAMES` frames, then every layer's R map averaged over H×W and concatenated.
 */
export function prednetRFeatures(
  recurrentStates: (frames: tf.Tensor5D) => tf.Tensor4D[],
  x: tf.Tensor4D,
): tf.Tensor2D {
  const clip = tf.stack(
    Array.from({ length: PREDNET_READOUT_FRAMES }, () => x),
    1,
  ) as tf.Tensor5D;
  return tf.concat(
    recurrentStates(clip).map((r) => tf.mean(r, [1, 2])),
    1,
  ) as tf.Tensor2D;
}
