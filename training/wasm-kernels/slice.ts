import * as tf from '@tensorflow/tfjs';
import { copyRuns, original, type GradientKernel, type WasmHeap } from './shared.ts';

/**
 * Slice as strided copies: tfjs-wasm's Slice first copies the whole input out of the heap
 * (readSync), so unstacking PredNet's [B, T, H, W, 3] clip copies it T times.
 */
export function sliceKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return original(tf.Slice, args) as tf.TensorInfo;
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

export const slice: GradientKernel = {
  name: tf.Slice,
  mode: 'faster',
  backends: ['wasm'],
  kernelFunc: sliceKernel,
};
