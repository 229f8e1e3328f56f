/**
 * Gradient kernels tfjs-wasm lacks (PROBES.md): without them training a conv net throws
 * "Kernel 'Conv2DBackpropFilter' not registered". Each entry is registered only where the backend
 * has no kernel of that name, and each is tested against the cpu backend's own kernel.
 */
import * as tf from '@tensorflow/tfjs';

type Attrs = {
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

// Gradient functions pass Tensors; a bare TensorInfo gets a (tidied) Tensor view on its data.
const asTensor = (t: tf.TensorInfo) =>
  (t instanceof tf.Tensor ? t : tf.engine().makeTensorFromTensorInfo(t)) as tf.Tensor4D;

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
      // Insert stride−1 zeros between dy's rows and columns.
      const spread = tf.pad(dy.reshape([n, ho, 1, wo, 1, co]), [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]);
      d = spread
        .reshape([n, ho * sh, wo * sw, co])
        .slice([0, 0, 0, 0], [n, (ho - 1) * sh + 1, (wo - 1) * sw + 1, co]) as tf.Tensor4D;
    }
    const flipped = flippedFilter(filter);
    // dx is rows [top, top + h) of the full correlation (d padded by k−1 on every side): the
    // same as one conv of d padded by k−1−top above and by whatever leaves h rows below.
    const [rows, cols] = [d.shape[1], d.shape[2]];
    const pt = kh - 1 - top;
    const pl = kw - 1 - left;
    const pb = h - rows - pt + kh - 1;
    const pr = w - cols - pl + kw - 1;
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

/** The kernel flipped in space with its in/out channels swapped. */
const flippedFilter = (filter: tf.Tensor4D) =>
  tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;

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

export interface GradientKernel {
  name: string;
  /** 'missing': only where the backend has none; 'faster': replaces the backend's own. */
  mode: 'missing' | 'faster';
  /** Backends the replacement is meant for ('faster' entries). */
  backends?: string[];
  kernelFunc: tf.KernelFunc;
}

/** The registry: kernels training needs that some backend lacks or runs slowly. */
export const GRADIENT_KERNELS: GradientKernel[] = [
  {
    name: 'Conv2DBackpropFilter',
    mode: 'missing',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      return tf.tidy(() =>
        conv2dBackpropFilterViaConv(asTensor(x), asTensor(dy), attrs as unknown as Attrs),
      );
    },
  },
  {
    name: 'Conv2DBackpropInput',
    mode: 'faster',
    backends: ['wasm'],
    kernelFunc: ({ inputs, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      type A = Parameters<typeof conv2dBackpropInputViaConv>[2];
      return tf.tidy(() =>
        conv2dBackpropInputViaConv(asTensor(dy), asTensor(filter), attrs as unknown as A),
      );
    },
  },
  {
    name: 'Unpack',
    mode: 'faster',
    backends: ['wasm'],
    kernelFunc: ({ inputs, attrs }) => {
      const { value } = inputs as { value: tf.TensorInfo };
      return tf.tidy(() => unstackViaSlices(asTensor(value), (attrs as { axis: number }).axis));
    },
  },
];

/** Registers the registry's kernels for `backendName`; returns the names it added or replaced. */
export function registerGradientKernels(backendName: string): string[] {
  const added: string[] = [];
  for (const k of GRADIENT_KERNELS) {
    const existing = tf.getKernel(k.name, backendName);
    if (k.mode === 'missing' && existing !== undefined) continue;
    if (k.mode === 'faster') {
      if (!(k.backends ?? []).includes(backendName)) continue;
      if (existing?.kernelFunc === k.kernelFunc) continue;
      if (existing !== undefined) tf.unregisterKernel(k.name, backendName);
    }
    tf.registerKernel({ kernelName: k.name, backendName, kernelFunc: k.kernelFunc });
    added.push(k.name);
  }
  return added;
}
