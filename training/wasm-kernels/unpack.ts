import * as tf from '@tensorflow/tfjs';
import { asTensor, type GradientKernel } from './shared.ts';

/**
 * `tf.unstack` as rank-3 slices: tfjs-wasm's Unpack slices the input at its own rank, and slices
 * above rank 4 take a slow generic path (PredNet's [B, T, H, W, C] input: ~12 % of a step).
 */
export function unstackViaSlices(x: tf.Tensor, axis: number): tf.Tensor[] {
  const ax = axis < 0 ? axis + x.rank : axis;
  const prod = (d: number[]) => d.reduce((p, q) => p * q, 1);
  const [a, n, c] = [prod(x.shape.slice(0, ax)), x.shape[ax]!, prod(x.shape.slice(ax + 1))];
  const outShape = x.shape.filter((_, i) => i !== ax);
  const x3 = tf.reshape(x, [a, n, c]);
  return Array.from({ length: n }, (_, i) =>
    tf.reshape(tf.slice(x3, [0, i, 0], [a, 1, c]), outShape),
  );
}

export const unpack: GradientKernel = {
  name: tf.Unpack,
  mode: 'faster',
  backends: ['wasm'],
  kernelFunc: ({ inputs, attrs }) => {
    const { value } = inputs as { value: tf.TensorInfo };
    return tf.tidy(() => unstackViaSlices(asTensor(value), (attrs as { axis: number }).axis));
  },
};
