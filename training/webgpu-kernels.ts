/**
 * Kernels datadiet corrects on tfjs-backend-webgpu (4.22). Each is checked numerically against
 * wasm in webgpu.e2e.test.ts, on the software Vulkan device CI has.
 *
 * Binary ops with a rank-1 operand shorter than 128 take a shared-memory path
 * (BinaryOpProgram `type = 'shared'`) whose WGSL indexes `coords[rank − 1]`. For outputs of rank
 * ≥ 5 coords is a struct, so the shader fails to compile: Dawn prints a validation error and the
 * op silently yields zeros (found here: egomotion's `clips × [0.299, 0.587, 0.114]` on [B,T,H,W,3]).
 * Giving the short operand shape [1, n] takes the general broadcasting path, which is correct.
 */
import * as tf from '@tensorflow/tfjs';

const BINARY_OPS = [
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'FloorDiv',
  'Maximum',
  'Minimum',
  'Pow',
  'SquaredDifference',
  'Equal',
  'NotEqual',
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'LogicalAnd',
  'LogicalOr',
  'Atan2',
  'Mod',
];

const wrapped = new Set<string>();

type Backend = { incRef(id: object): void; disposeData(id: object): boolean };

/** Whether BinaryOpProgram would take its broken shared-memory path for these shapes. */
export function hitsSharedRankBug(a: number[], b: number[]): boolean {
  const outRank = Math.max(a.length, b.length);
  const short = (s: number[], other: number[]) =>
    s.length === 1 && other.length > 1 && (s[0] as number) < 128;
  return outRank >= 5 && (short(a, b) || short(b, a));
}

function widen(t: tf.TensorInfo, backend: Backend): tf.TensorInfo {
  if (t.shape.length !== 1) return t;
  // A reshape is a view: the same data under another shape (one more reference to release).
  backend.incRef(t.dataId);
  return { dataId: t.dataId, shape: [1, t.shape[0] as number], dtype: t.dtype };
}

/** Re-registers the affected webgpu kernels; returns the names changed (once per process). */
export function registerWebgpuKernels(): string[] {
  for (const name of BINARY_OPS) {
    if (wrapped.has(name)) continue;
    const original = tf.getKernel(name, 'webgpu');
    if (original === undefined) continue;
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        const { a, b } = args.inputs as { a?: tf.TensorInfo; b?: tf.TensorInfo };
        if (a === undefined || b === undefined || !hitsSharedRankBug(a.shape, b.shape)) {
          return original.kernelFunc(args);
        }
        const backend = args.backend as unknown as Backend;
        const [wa, wb] = [widen(a, backend), widen(b, backend)];
        try {
          return original.kernelFunc({ ...args, inputs: { ...args.inputs, a: wa, b: wb } });
        } finally {
          for (const [w, t] of [
            [wa, a],
            [wb, b],
          ] as const)
            if (w !== t) backend.disposeData(w.dataId);
        }
      },
    });
    wrapped.add(name);
  }
  return wrapped.size ? [`${wrapped.size} binary ops (rank ≥ 5 broadcast fix)`] : [];
}
