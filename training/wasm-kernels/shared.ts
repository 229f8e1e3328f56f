/** What the kernel files share: the registry entry's type, tensor views, copy helpers. */
import * as tf from '@tensorflow/tfjs';

export interface GradientKernel {
  name: string;
  /** 'missing': only where the backend has none; 'faster': replaces the backend's own. */
  mode: 'missing' | 'faster';
  /** Backends the replacement is meant for ('faster' entries). */
  backends?: string[];
  kernelFunc: tf.KernelFunc;
}

// Gradient functions pass Tensors; a bare TensorInfo gets a (tidied) Tensor view on its data.
export const asTensor = (t: tf.TensorInfo) =>
  (t instanceof tf.Tensor ? t : tf.engine().makeTensorFromTensorInfo(t)) as tf.Tensor4D;

/** The slice of BackendWasm the copy kernels use. */
export interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: object): void;
}

/** The backend's own kernels that a 'faster' entry replaced, for the cases it leaves to them. */
export const originals = new Map<string, tf.KernelFunc>();
export const original = (name: string, args: Parameters<tf.KernelFunc>[0]) => {
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
export function copyRuns(
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

export const outer = (shape: number[], axis: number) =>
  shape.slice(0, axis).reduce((p, q) => p * q, 1);
