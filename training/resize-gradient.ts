/**
 * A correct input gradient for `tf.image.resizeBilinear`. tfjs 4.22's `ResizeBilinearGrad` kernels
 * (cpu, wasm, webgpu) ignore `halfPixelCenters`: for 8×8 → 2×2 they put the whole gradient on
 * pixels {0, 4, 32, 36}, while the forward pass reads the 16 pixels around (1.5, 5.5). Every
 * saliency map taken through a half-pixel resize was wrong. The resize is linear, y = Mh·x·Mwᵀ per
 * image and channel, so its gradient is dx = Mhᵀ·dy·Mw: two matMuls with the same interpolation
 * weights the forward kernels use. We replace the *gradient* (one global registry), not a kernel,
 * so the fix holds on every backend at once and its own gradient is ordinary matMul/transpose.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * The [outSize, inSize] interpolation matrix of one axis, as the tfjs/TF forward kernels compute
 * it: scale = (in − 1)/(out − 1) with alignCorners, else in/out; source = (o + 0.5)·scale − 0.5
 * with half-pixel centres, else o·scale; lower = max(floor, 0), upper = min(ceil, in − 1).
 */
export function bilinearAxisMatrix(opts: {
  inSize: number;
  outSize: number;
  alignCorners: boolean;
  halfPixelCenters: boolean;
}): Float32Array {
  const { inSize, outSize, alignCorners, halfPixelCenters } = opts;
  const scale = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const m = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixelCenters ? (o + 0.5) * scale - 0.5 : o * scale;
    const floor = Math.floor(src);
    const lower = Math.max(floor, 0);
    const upper = Math.min(Math.ceil(src), inSize - 1);
    const frac = src - floor;
    m[o * inSize + lower]! += 1 - frac;
    m[o * inSize + upper]! += frac;
  }
  return m;
}

interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/** dx [N, H, W, C] of a bilinear resize from H×W, given dy [N, h, w, C]. */
export function resizeBilinearInputGrad(
  dy: tf.Tensor4D,
  inShape: [number, number],
  attrs: ResizeAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [N, h, w, C] = dy.shape;
    const [H, W] = inShape;
    const mh = tf.tensor2d(bilinearAxisMatrix({ ...attrs, inSize: H, outSize: h }), [h, H]);
    const mw = tf.tensor2d(bilinearAxisMatrix({ ...attrs, inSize: W, outSize: w }), [w, W]);
    // Rows: [h, N·w·C] → Mhᵀ → [H, N·w·C].
    const rows = tf.matMul(mh, tf.reshape(tf.transpose(dy, [1, 0, 2, 3]), [h, N * w * C]), true);
    // Columns: [H, N, w, C] → [w, H·N·C] → Mwᵀ → [W, H·N·C] → [N, H, W, C].
    const byCol = tf.reshape(tf.transpose(tf.reshape(rows, [H, N, w, C]), [2, 0, 1, 3]), [
      w,
      H * N * C,
    ]);
    const cols = tf.reshape(tf.matMul(mw, byCol, true), [W, H, N, C]);
    return tf.cast(tf.transpose(cols, [2, 1, 0, 3]), dy.dtype) as tf.Tensor4D;
  });
}

let registered = false;

/** Replaces tfjs's ResizeBilinear gradient with `resizeBilinearInputGrad` (idempotent). */
export function registerResizeGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'ResizeBilinear',
    inputsToSave: ['images'],
    gradFunc: (dy, saved, attrs) => {
      const [images] = saved as [tf.Tensor4D];
      const a = attrs as unknown as ResizeAttrs;
      return {
        images: () =>
          resizeBilinearInputGrad(dy as tf.Tensor4D, [images.shape[1], images.shape[2]], {
            alignCorners: Boolean(a.alignCorners),
            halfPixelCenters: Boolean(a.halfPixelCenters),
          }),
      };
    },
  });
}
