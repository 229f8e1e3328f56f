import * as tf from '@tensorflow/tfjs';
import { copyRuns, original, outer, type GradientKernel, type WasmHeap } from './shared.ts';

/** SplitV as strided copies (see copyRuns); strings go to the backend's own kernel. */
export function splitVKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return original(tf.SplitV, args) as tf.TensorInfo[];
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

export const splitV: GradientKernel = {
  name: tf.SplitV,
  mode: 'faster',
  backends: ['wasm'],
  kernelFunc: splitVKernel as unknown as tf.KernelFunc,
};
