/**
 * Resizing frames to a model's input size, for every model evaluation reads (runs, tfjs and ONNX
 * baselines). It sits in training/, below both evaluation/ and onnx/, so that onnx/ does not import
 * evaluation/ (which imports onnx/: a cycle once both go through their index files).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Frames to the model's input size. An integer shrink averages k×k blocks (area resize): bilinear
 * would read only 2×2 of every k×k pixels, and saliency would come out as a sparse grid.
 */
export function resizeTo(x: tf.Tensor4D, [h, w]: [number, number]): tf.Tensor4D {
  const [, H, W] = x.shape;
  if (H === h && W === w) return x;
  const k = H / h;
  if (Number.isInteger(k) && k > 1 && W / w === k) return tf.avgPool(x, k, k, 'valid');
  return tf.image.resizeBilinear(x, [h, w], false, true);
}
