import * as tf from '@tensorflow/tfjs';
import { asTensor, type GradientKernel } from './shared.ts';
import type { Attrs } from './conv2d-backprop-filter.ts';

/**
 * The input gradient as a stride-1 conv of the zero-dilated, padded dy with the flipped kernel:
 * tfjs-wasm has a Conv2DBackpropInput, but a naive one ~10× slower than its XNNPACK conv, and it
 * dominates PredNet's step time.
 */
export function conv2dBackpropInputViaConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: Omit<Attrs, 'filterShape'> & { inputShape: [number, number, number, number] },
): tf.Tensor4D {
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropInput: only NHWC is supported');
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [n, h, w] = attrs.inputShape;
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [ho, wo, co] = [dy.shape[1], dy.shape[2], dy.shape[3]];
  const { top, left } = info.padInfo;
  return tf.tidy(() => {
    let d: tf.Tensor4D = dy;
    if (sh > 1 || sw > 1) {
      // Insert stride−1 zeros between dy's rows and columns (and after the last: trailing zero
      // rows are just more zero padding, so they are cropped only if the conv cannot absorb them).
      d = tf
        .pad(dy.reshape([n, ho, 1, wo, 1, co]), [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ])
        .reshape([n, ho * sh, wo * sw, co]);
    }
    const flipped = flippedFilter(filter);
    // dx is rows [top, top + h) of the full correlation (d padded by k−1 on every side): the
    // same as one conv of d padded by k−1−top above and by whatever leaves h rows below.
    const pt = kh - 1 - top;
    const pl = kw - 1 - left;
    // Bottom and right padding that leave exactly h × w outputs.
    const fit = (t: tf.Tensor4D) => ({
      pb: h - t.shape[1] - pt + kh - 1,
      pr: w - t.shape[2] - pl + kw - 1,
    });
    let { pb, pr } = fit(d);
    if ((pb < 0 || pr < 0) && (sh > 1 || sw > 1)) {
      d = tf.slice(d, [0, 0, 0, 0], [n, (ho - 1) * sh + 1, (wo - 1) * sw + 1, co]);
      ({ pb, pr } = fit(d));
    }
    const [rows, cols] = [d.shape[1], d.shape[2]];
    if (pt >= 0 && pl >= 0 && pb >= 0 && pr >= 0) {
      return tf.conv2d(d, flipped, 1, [
        [0, 0],
        [pt, pb],
        [pl, pr],
        [0, 0],
      ]);
    }
    // Paddings no explicit pad can express: pad fully, then crop.
    const fullH = rows + kh - 1;
    const fullW = cols + kw - 1;
    const padded = tf.pad(d, [
      [0, 0],
      [kh - 1, kh - 1 + Math.max(0, top + h - fullH)],
      [kw - 1, kw - 1 + Math.max(0, left + w - fullW)],
      [0, 0],
    ]);
    const full = tf.conv2d(padded, flipped, 1, 'valid');
    return tf.slice(full, [0, top, left, 0], [n, h, w, -1]) as tf.Tensor4D;
  });
}

/**
 * The kernel flipped in space with its in/out channels swapped. tfjs-wasm's Reverse is slow
 * (~14 ms for a 3×3×192×256 kernel, more than the conv it feeds), and a recurrent net needs the
 * same flip once per time step: flips are cached by the filter's data. Tensor data is immutable
 * (a variable's assign swaps in a new dataId), so a cached flip is never stale; entries whose
 * data the engine has released are dropped on the next miss.
 */
const flipCache = new Map<object, { shape: string; flipped: tf.Tensor4D }>();
const FLIP_CACHE_MAX = 64;

function flippedFilter(filter: tf.Tensor4D): tf.Tensor4D {
  const key = filter.dataId as object;
  const shape = filter.shape.join(',');
  const hit = flipCache.get(key);
  if (hit !== undefined && hit.shape === shape) return hit.flipped;
  const live = (tf.engine().state as unknown as { tensorInfo: WeakMap<object, unknown> })
    .tensorInfo;
  for (const [k, v] of flipCache) {
    if (!live.has(k) || flipCache.size >= FLIP_CACHE_MAX) {
      v.flipped.dispose();
      flipCache.delete(k);
    }
  }
  const flipped = tf.keep(
    tf.tidy(() => tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D),
  );
  flipCache.set(key, { shape, flipped });
  return flipped;
}

export const conv2DBackpropInput: GradientKernel = {
  name: tf.Conv2DBackpropInput,
  mode: 'faster',
  backends: ['wasm'],
  kernelFunc: ({ inputs, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    type A = Parameters<typeof conv2dBackpropInputViaConv>[2];
    return tf.tidy(() =>
      conv2dBackpropInputViaConv(asTensor(dy), asTensor(filter), attrs as unknown as A),
    );
  },
};
