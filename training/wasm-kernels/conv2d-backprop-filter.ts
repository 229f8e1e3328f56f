import * as tf from '@tensorflow/tfjs';
import { asTensor, type GradientKernel } from './shared.ts';

export type Attrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
};

/**
 * The filter gradient of a conv is itself a conv (PROBES "ideas"): with the batch as the channel
 * axis, dW = conv(xᵀ, dyᵀ, dilation = forward stride). One XNNPACK conv instead of k² slices.
 */
export function conv2dBackpropFilterViaConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: Attrs,
): tf.Tensor4D {
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter: only NHWC is supported');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { top, bottom, left, right } = info.padInfo;
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  return tf.tidy(() => {
    // Pad so the dilated "filter" (dy) covers every tap; crop any surplus the padding adds. The
    // padding is the conv's own (explicit), not a padded copy of x.
    const needH = (info.outHeight - 1) * sh + kh;
    const needW = (info.outWidth - 1) * sw + kw;
    const padB = Math.max(0, bottom, needH - x.shape[1] - top);
    const padR = Math.max(0, right, needW - x.shape[2] - left);
    const xT = tf.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, N]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
    const pads: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [top, padB],
      [left, padR],
      [0, 0],
    ];
    let full = tf.conv2d(xT, dyT, 1, pads, 'NHWC', [sh, sw]); // [Ci, ≥kh, ≥kw, Co]
    if (full.shape[1] !== kh || full.shape[2] !== kw)
      full = tf.slice(full, [0, 0, 0, 0], [-1, kh, kw, -1]);
    return tf.transpose(full, [1, 2, 0, 3]) as tf.Tensor4D; // [kh, kw, Ci, Co]
  });
}

export const conv2DBackpropFilter: GradientKernel = {
  name: tf.Conv2DBackpropFilter,
  mode: 'missing',
  kernelFunc: ({ inputs, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    return tf.tidy(() =>
      conv2dBackpropFilterViaConv(asTensor(x), asTensor(dy), attrs as unknown as Attrs),
    );
  },
};
