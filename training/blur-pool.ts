/**
 * Anti-aliased downsampling (Zhang 2019, "Making convolutional networks shift-invariant again"):
 * a fixed [1,2,1]⊗[1,2,1]/16 blur, then every second pixel. It computes exactly what a depthwise
 * 3×3 conv with that kernel, stride 2 and TensorFlow 'same' (zero) padding computes, which is how
 * the ONNX export writes it. It is built from pad, reshape, slice, add and mul instead of
 * tf.depthwiseConv2d because tfjs-wasm has no DepthwiseConv2dNativeBackpropInput kernel, and
 * training and saliency differentiate through it; these ops have gradients on every backend.
 */
import * as tf from '@tensorflow/tfjs';

/** The separable blur, one axis: ONNX's kernel is its outer product with itself. */
export const BLUR_TAPS = [0.25, 0.5, 0.25] as const;

/** Blur along `axis` (1 = rows, 2 = columns) and keep every second sample. */
function blurDownAxis(x: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D {
  const shape = x.shape;
  const n = shape[axis];
  const out = Math.ceil(n / 2);
  // 'same' with kernel 3, stride 2 pads 1 (even n) or 2 (odd n) in all, the smaller half first;
  // one more zero at the end makes the length even (2·out + 2) so it folds into (even, odd) pairs.
  const before = n % 2;
  const pads: [number, number][] = [
    [0, 0],
    [0, 0],
    [0, 0],
    [0, 0],
  ];
  pads[axis] = [before, 2 * out + 2 - n - before];
  const lead = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const tail = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  // Padded sample 2j lands at [.., j, 0:tail], sample 2j+1 at [.., j, tail:2·tail].
  const pairs = tf.reshape(tf.pad(x, pads), [lead, out + 1, 2 * tail]);
  const even = tf.slice(pairs, [0, 0, 0], [lead, out, tail]);
  const odd = tf.slice(pairs, [0, 0, tail], [lead, out, tail]);
  const next = tf.slice(pairs, [0, 1, 0], [lead, out, tail]);
  const y = tf.add(tf.mul(tf.add(even, next), BLUR_TAPS[0]), tf.mul(odd, BLUR_TAPS[1]));
  const outShape = [...shape] as [number, number, number, number];
  outShape[axis] = out;
  return tf.reshape(y, outShape);
}

/** x [N, H, W, C] → [N, ⌈H/2⌉, ⌈W/2⌉, C]: blurred with [1,2,1]⊗[1,2,1]/16, subsampled by 2. */
export function blurPool(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => blurDownAxis(blurDownAxis(x, 1), 2));
}
