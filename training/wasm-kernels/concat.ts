import * as tf from '@tensorflow/tfjs';
import { copyRuns, original, outer, type GradientKernel, type WasmHeap } from './shared.ts';

/** Concat as strided copies (see copyRuns); strings go to the backend's own kernel. */
export function concatKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const inputs = (args.inputs as unknown as tf.TensorInfo[]).filter((t) =>
    t.shape.every((d) => d > 0),
  );
  const first = inputs[0];
  if (first === undefined || first.dtype === 'string' || inputs.length === 1)
    return original(tf.Concat, args) as tf.TensorInfo;
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

export const concat: GradientKernel = {
  name: tf.Concat,
  mode: 'faster',
  backends: ['wasm'],
  kernelFunc: concatKernel,
};
