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

/** The slice of BackendWasm the copy kernels use. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: object): void;
}

/** The backend's own kernels that a 'faster' entry replaced, for the cases it leaves to them. */
const originals = new Map<string, tf.KernelFunc>();
const original = (name: string, args: Parameters<tf.KernelFunc>[0]) => {
  const f = originals.get(name);
  if (f === undefined) throw new Error(`${name}: the backend's own kernel was not recorded`);
  return f(args);
};

/**
 * Copies `rows` runs of `run` elements, `from` stride apart in `src`, to `to` stride apart in
 * `dst`. tfjs-wasm's Concat and Slice copy one subarray per run: a channel-axis concat or split
 * of an NHWC map makes one per pixel (PredNet: ~4 ms each, ~16 % of a step); short runs are
 * copied element by element here instead.
 */
function copyRuns(
  src: ArrayLike<number>,
  srcOffset: number,
  from: number,
  dst: { [i: number]: number; set(a: ArrayLike<number>, o: number): void },
  dstOffset: number,
  to: number,
  rows: number,
  run: number,
): void {
  if (run >= 64) {
    const s = src as Float32Array;
    for (let r = 0; r < rows; r++)
      dst.set(s.subarray(srcOffset + r * from, srcOffset + r * from + run), dstOffset + r * to);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const a = srcOffset + r * from;
    const b = dstOffset + r * to;
    for (let j = 0; j < run; j++) dst[b + j] = src[a + j]!;
  }
}

const outer = (shape: number[], axis: number) => shape.slice(0, axis).reduce((p, q) => p * q, 1);

/** Concat as strided copies (see copyRuns); strings go to the backend's own kernel. */
export function concatKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const inputs = (args.inputs as unknown as tf.TensorInfo[]).filter((t) =>
    t.shape.every((d) => d > 0),
  );
  const first = inputs[0];
  if (first === undefined || first.dtype === 'string' || inputs.length === 1)
    return original('Concat', args) as tf.TensorInfo;
  const rank = first.shape.length;
  const a = (args.attrs as { axis: number | number[] }).axis;
  const axis0 = Array.isArray(a) ? (a[0] as number) : a;
  const axis = axis0 < 0 ? axis0 + rank : axis0;
  const backend = args.backend as unknown as WasmHeap;
  const shape = [...first.shape];
  shape[axis] = inputs.reduce((s, t) => s + (t.shape[axis] as number), 0);
  const out = backend.makeOutput(shape, first.dtype);
  // Views after makeOutput: growing the heap detaches older ones.
  const dst = backend.typedArrayFromHeap(out);
  const rows = outer(shape, axis);
  const total = dst.length / Math.max(1, rows);
  let offset = 0;
  for (const t of inputs) {
    const run = t.shape.slice(axis).reduce((p, q) => p * q, 1);
    copyRuns(backend.typedArrayFromHeap(t), 0, run, dst, offset, total, rows, run);
    offset += run;
  }
  return out;
}

/** SplitV as strided copies (see copyRuns); strings go to the backend's own kernel. */
export function splitVKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return original('SplitV', args) as tf.TensorInfo[];
  const { numOrSizeSplits, axis: a } = args.attrs as {
    numOrSizeSplits: number | number[];
    axis: number;
  };
  const rank = x.shape.length;
  const axis = a < 0 ? a + rank : a;
  const dim = x.shape[axis] as number;
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') {
    sizes = new Array<number>(numOrSizeSplits).fill(dim / numOrSizeSplits);
  } else {
    sizes = [...numOrSizeSplits];
    const unknown = sizes.indexOf(-1);
    if (unknown >= 0) sizes[unknown] = dim - sizes.reduce((p, q) => p + (q === -1 ? 0 : q), 0);
  }
  const backend = args.backend as unknown as WasmHeap;
  const rows = outer(x.shape, axis);
  const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
  const outs = sizes.map((s) => {
    const shape = [...x.shape];
    shape[axis] = s;
    return backend.makeOutput(shape, x.dtype);
  });
  const src = backend.typedArrayFromHeap(x);
  let offset = 0;
  sizes.forEach((s, i) => {
    const run = s * inner;
    copyRuns(src, offset, dim * inner, backend.typedArrayFromHeap(outs[i]!), 0, run, rows, run);
    offset += run;
  });
  return outs;
}

/**
 * Slice as strided copies: tfjs-wasm's Slice first copies the whole input out of the heap
 * (readSync), so unstacking PredNet's [B, T, H, W, 3] clip copies it T times.
 */
export function sliceKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return original('Slice', args) as tf.TensorInfo;
  const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
  const [b, sz] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [
    number[],
    number[],
  ];
  const backend = args.backend as unknown as WasmHeap;
  const out = backend.makeOutput(sz, x.dtype);
  if (sz.some((d) => d === 0)) return out;
  const dst = backend.typedArrayFromHeap(out);
  const src = backend.typedArrayFromHeap(x);
  // Merge trailing axes the slice takes whole into one contiguous run.
  const shape = x.shape;
  let k = shape.length - 1;
  let run = sz[k] as number;
  while (k > 0 && sz[k] === shape[k] && b[k] === 0) {
    k--;
    run *= sz[k] as number;
  }
  const strides = tf.util.computeStrides(shape);
  const inner = k < shape.length - 1 ? (strides[k] as number) : 1;
  // Odometer over axes 0..k−1; axis k (with the merged tail) is one run per index.
  let base = 0;
  for (let i = 0; i < k; i++) base += (b[i] as number) * (strides[i] as number);
  base += (b[k] as number) * inner;
  const idx = new Array<number>(k).fill(0);
  const rows = sz.slice(0, k).reduce((p, q) => p * q, 1);
  for (let r = 0, o = 0; r < rows; r++, o += run) {
    let off = base;
    for (let i = 0; i < k; i++) off += (idx[i] as number) * (strides[i] as number);
    copyRuns(src, off, 0, dst, o, 0, 1, run);
    for (let i = k - 1; i >= 0; i--) {
      idx[i] = (idx[i] as number) + 1;
      if ((idx[i] as number) < (sz[i] as number)) break;
      idx[i] = 0;
    }
  }
  return out;
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
    // tfjs-wasm's Identity copies the buffer, and the engine clones every tensor a gradient
    // saves (~2,500 copies per PredNet step). Tensor data is immutable, so sharing it with a
    // reference count, as the cpu backend and wasm's own Reshape do, is the same result; it also
    // lets the filter-flip cache recognise a saved kernel as the variable it came from.
    name: 'Identity',
    mode: 'faster',
    backends: ['wasm'],
    kernelFunc: (args) => {
      const { inputs, backend } = args;
      const { x } = inputs as { x: tf.TensorInfo };
      if (x.dtype === 'string') return original('Identity', args);
      (backend as unknown as { incRef(id: object): void }).incRef(x.dataId as object);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  },
  { name: 'Concat', mode: 'faster', backends: ['wasm'], kernelFunc: concatKernel },
  { name: 'Slice', mode: 'faster', backends: ['wasm'], kernelFunc: sliceKernel },
  {
    name: 'SplitV',
    mode: 'faster',
    backends: ['wasm'],
    kernelFunc: splitVKernel as unknown as tf.KernelFunc,
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
      if (existing !== undefined) {
        originals.set(k.name, existing.kernelFunc);
        tf.unregisterKernel(k.name, backendName);
      }
    }
    tf.registerKernel({ kernelName: k.name, backendName, kernelFunc: k.kernelFunc });
    added.push(k.name);
  }
  return added;
}
