/**
 * Every differentiable op on a saliency path, its input gradient checked against central finite
 * differences on each backend datadiet evaluates on here (cpu, wasm): the resizes models apply
 * (half-pixel bilinear, whose tfjs gradient was wrong, and the area shrink), baseline
 * preprocessing, the encoder (fused strided conv + ReLU, blur-pool, mean pooling, dense), the
 * probe head, PredNet's recurrent ops, and a whole encoder + probe (plain and blur-pool) as
 * saliency sees it.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/index.ts';
import { Params, blurPool, createEncoder, selectBackend, resizeTo } from '../training/index.ts';
import { fitProbe, probeHead } from './probe.ts';

type Op = (x: tf.Tensor) => tf.Tensor;
/** An op, its input shape and (for ops with kinks, which a wide step may cross) a smaller step. */
type Case = [Op, number[], number?];

function randomArray(n: number, rng: Rng, lo = 0, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
}

/**
 * Largest |autodiff − finite difference| of L(x) = Σ op(x)·r (r random), relative to the largest
 * gradient entry; the loss is summed in float64 so only the op's own float32 rounding remains.
 */
function gradientError(op: Op, shape: number[], seed: number, eps = 1e-2) {
  const rng = new Rng(seed, 'fd');
  const n = shape.reduce((a, b) => a * b, 1);
  const x0 = randomArray(n, rng);
  const outN = tf.tidy(() => op(tf.tensor(x0, shape)).size);
  const r = randomArray(outN, rng, -1, 1);
  const rT = tf.tensor1d(r);
  const auto = tf.tidy(() =>
    tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.reshape(op(x), [-1]), rT)))(tf.tensor(x0, shape)),
  );
  const g = auto.dataSync();
  tf.dispose([auto, rT]);
  const loss = (x: Float32Array) => {
    const y = tf.tidy(() => op(tf.tensor(x, shape)).dataSync());
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * r[i]!;
    return s;
  };
  let maxErr = 0;
  let maxG = 0;
  const fd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = Float32Array.from(x0);
    const m = Float32Array.from(x0);
    p[i]! += eps;
    m[i]! -= eps;
    fd[i] = (loss(p) - loss(m)) / (2 * eps);
    maxErr = Math.max(maxErr, Math.abs(fd[i]! - g[i]!));
    maxG = Math.max(maxG, Math.abs(fd[i]!));
  }
  return { relative: maxErr / Math.max(maxG, 1e-6), fd, auto: Float64Array.from(g) };
}

const nonzero = (a: ArrayLike<number>) =>
  Array.from(a, (v, i) => (Math.abs(v) > 1e-4 ? i : -1)).filter((i) => i >= 0);

const resize =
  (size: [number, number], alignCorners = false, halfPixelCenters = true): Op =>
  (x) =>
    tf.image.resizeBilinear(x as tf.Tensor4D, size, alignCorners, halfPixelCenters);

// A fixed random conv/dense stack, created per backend inside the tests.
function encoderOps(rng: Rng) {
  const w = tf.tensor4d(randomArray(3 * 3 * 3 * 4, rng, -0.5, 0.5), [3, 3, 3, 4]);
  const b = tf.tensor1d(randomArray(4, rng, -0.1, 0.1));
  const dw = tf.tensor2d(randomArray(4 * 3, rng, -1, 1), [4, 3]);
  const db = tf.tensor1d(randomArray(3, rng, -0.1, 0.1));
  const ops: Record<string, Case> = {
    'fused conv2d stride 2, same, bias, ReLU': [
      (x) =>
        tf.fused.conv2d({
          x: tf.sub(x, 0.5) as tf.Tensor4D,
          filter: w,
          strides: 2,
          pad: 'same',
          bias: b,
          activation: 'relu',
        }),
      [2, 6, 6, 3],
      1e-3,
    ],
    'mean pooling, matMul, add (encoder tail, own head)': [
      (x) => tf.add(tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, dw), db),
      [2, 3, 3, 4],
    ],
  };
  return { ops, dispose: () => tf.dispose([w, b, dw, db]) };
}

const OPS: Record<string, Case> = {
  'resizeBilinear half-pixel 8×8 → 2×2': [resize([2, 2]), [1, 8, 8, 1]],
  'resizeBilinear half-pixel 7×5 → 3×4 (non-integer)': [resize([3, 4]), [2, 7, 5, 2]],
  'resizeBilinear half-pixel 3×3 → 7×5 (upsampling)': [resize([7, 5]), [1, 3, 3, 2]],
  'resizeBilinear alignCorners 6×6 → 4×4': [resize([4, 4], true, false), [1, 6, 6, 1]],
  'resizeBilinear legacy 6×5 → 4×3': [resize([4, 3], false, false), [1, 6, 5, 1]],
  'resizeTo 12×12 → 8×8 (bilinear)': [(x) => resizeTo(x as tf.Tensor4D, [8, 8]), [1, 12, 12, 3]],
  'resizeTo 12×12 → 4×4 (area: avgPool)': [
    (x) => resizeTo(x as tf.Tensor4D, [4, 4]),
    [1, 12, 12, 3],
  ],
  'baseline preprocessing (×255, BGR, −mean, ÷std)': [
    (x) =>
      tf.div(
        tf.sub(tf.reverse(tf.mul(x, 255), 3), tf.tensor1d([124, 116, 104])),
        tf.tensor1d([58, 57, 57]),
      ),
    [1, 3, 3, 3],
  ],
  'blur-pool [1,2,1]² stride 2, odd × even sides': [
    (x) => blurPool(x as tf.Tensor4D),
    [2, 5, 6, 3],
  ],
  'flatten (reshape)': [(x) => tf.reshape(x, [x.shape[0]!, -1]), [2, 2, 2, 3]],
  'PredNet: resizeNearestNeighbor ×2, concat, split': [
    (x) => {
      const up = tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [6, 6]);
      const [a, b] = tf.split(tf.concat([up, tf.mul(up, up)], 3), 2, 3) as tf.Tensor4D[];
      return tf.sub(a!, tf.mul(b!, 0.5));
    },
    [1, 3, 3, 2],
  ],
  'PredNet: hard sigmoid, tanh, mul, minimum, maxPool': [
    (x) => {
      const hs = tf.clipByValue(tf.add(tf.mul(tf.sub(x, 0.5), 0.2 * 8), 0.5), 0, 1);
      const r = tf.mul(hs, tf.tanh(tf.mul(tf.sub(x, 0.4), 3)));
      return tf.maxPool(tf.minimum(tf.relu(r), 0.3) as tf.Tensor4D, 2, 2, 'valid');
    },
    [1, 4, 4, 2],
    1e-3,
  ],
};

const TOLERANCE = 2e-2;

for (const backend of ['cpu', 'wasm']) {
  describe(`input gradients on ${backend} match finite differences`, () => {
    it('for every op on a saliency path', async () => {
      await selectBackend(backend);
      const enc = encoderOps(new Rng(7, 'weights'));
      const all = { ...OPS, ...enc.ops };
      const errors: Record<string, number> = {};
      let seed = 0;
      for (const [name, [op, shape, eps]] of Object.entries(all)) {
        errors[name] = +gradientError(op, shape, seed++, eps).relative.toPrecision(2);
      }
      enc.dispose();
      for (const [name, e] of Object.entries(errors)) {
        expect({ name, e, ok: e < TOLERANCE }).toEqual({ name, e, ok: true });
      }
    });

    it('puts the 8×8 → 2×2 half-pixel resize gradient on the 16 pixels the forward pass reads', async () => {
      await selectBackend(backend);
      const r = gradientError(resize([2, 2]), [1, 8, 8, 1], 3);
      // Source rows/columns 1.5 and 5.5: pixels {1, 2, 5, 6}² (tfjs's own gradient: {0, 4, 32, 36}).
      const expected = [1, 2, 5, 6].flatMap((y) => [1, 2, 5, 6].map((x) => y * 8 + x));
      expect(nonzero(r.fd)).toEqual(expected);
      expect(nonzero(r.auto)).toEqual(expected);
    });

    it.each([false, true])(
      'for a whole encoder (antialias %s) + ridge probe, as saliency differentiates it',
      async (antialias) => {
        await selectBackend(backend);
        const params = new Params(new Rng(11, 'enc'));
        const enc = createEncoder(params, {
          width: 4,
          depth: 2,
          maxWidth: 8,
          kernel: 3,
          stride: 2,
          embedding: 5,
          antialias,
        });
        const rng = new Rng(12, 'probe');
        const features = randomArray(12 * 5, rng, -1, 1);
        const labels = Int32Array.from({ length: 12 }, (_, i) => i % 3);
        const probe = fitProbe({
          features,
          dim: 5,
          labels,
          idx: Array.from({ length: 12 }, (_, i) => i),
          numClasses: 3,
        });
        const head = probeHead(probe);
        const op: Op = (x) =>
          head
            .apply(enc.apply(resizeTo(x as tf.Tensor4D, [8, 8])).embedding)
            .slice([0, 1], [-1, 1]);
        // Stride-1 convs put 4× the ReLUs on the path, so a 1e-2 step crosses kinks: 1e-3.
        const e = gradientError(op, [1, 10, 10, 3], 5, 1e-3).relative;
        head.dispose();
        params.vars.forEach((v) => v.dispose());
        expect(e).toBeLessThan(TOLERANCE);
      },
    );
  });
}

afterAll(async () => {
  await selectBackend('wasm');
});
