/**
 * Gradient kernels tfjs-wasm lacks (PROBES.md): without them training a conv net throws
 * "Kernel 'Conv2DBackpropFilter' not registered". Each entry is registered only where the backend
 * has no kernel of that name, and each is tested against the cpu backend's own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { concat } from './wasm-kernels/concat.ts';
import { conv2DBackpropFilter } from './wasm-kernels/conv2d-backprop-filter.ts';
import { conv2DBackpropInput } from './wasm-kernels/conv2d-backprop-input.ts';
import { identity } from './wasm-kernels/identity.ts';
import { originals, type GradientKernel } from './wasm-kernels/shared.ts';
import { slice } from './wasm-kernels/slice.ts';
import { splitV } from './wasm-kernels/split-v.ts';
import { unpack } from './wasm-kernels/unpack.ts';

export { conv2dBackpropFilterViaConv } from './wasm-kernels/conv2d-backprop-filter.ts';
export { conv2dBackpropInputViaConv } from './wasm-kernels/conv2d-backprop-input.ts';
export { concatKernel } from './wasm-kernels/concat.ts';
export { sliceKernel } from './wasm-kernels/slice.ts';
export { splitVKernel } from './wasm-kernels/split-v.ts';
export { unstackViaSlices } from './wasm-kernels/unpack.ts';
export type { GradientKernel } from './wasm-kernels/shared.ts';

/**
 * The registry: kernels training needs that some backend lacks or runs slowly, one file each
 * under wasm-kernels/ (named by tfjs's kernel-name constants).
 */
export const GRADIENT_KERNELS: GradientKernel[] = [
  conv2DBackpropFilter,
  conv2DBackpropInput,
  identity,
  concat,
  slice,
  splitV,
  unpack,
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
