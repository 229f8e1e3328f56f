import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.ts';
import { selectBackend } from './backend.ts';
import { GRADIENT_KERNELS } from './wasm-kernels.ts';

function randomArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs((a[i] ?? NaN) - (b[i] ?? 0)));
    den = Math.max(den, Math.abs(b[i] ?? 0));
  }
  return num / den;
}

interface Case {
  x: [number, number, number, number];
  k: number;
  co: number;
  stride: number;
  pad: 'same' | 'valid';
}

const CASES: Case[] = [
  { x: [2, 7, 9, 3], k: 3, co: 4, stride: 1, pad: 'same' },
  { x: [3, 9, 7, 2], k: 3, co: 5, stride: 2, pad: 'same' },
  { x: [2, 11, 11, 3], k: 5, co: 4, stride: 2, pad: 'valid' },
  { x: [1, 13, 10, 4], k: 4, co: 3, stride: 2, pad: 'same' },
  { x: [4, 8, 8, 3], k: 1, co: 6, stride: 1, pad: 'valid' },
  { x: [2, 15, 15, 5], k: 3, co: 7, stride: 3, pad: 'same' },
  { x: [2, 12, 12, 3], k: 3, co: 4, stride: 2, pad: 'valid' },
  { x: [1, 10, 9, 2], k: 2, co: 3, stride: 2, pad: 'valid' },
];

/** Runs both conv gradients through tf.grads (the path training takes) on one backend. */
function convGrads(c: Case, xs: Float32Array, ws: Float32Array, dys: Float32Array) {
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, c.x);
    const w = tf.tensor4d(ws, [c.k, c.k, c.x[3], c.co]);
    const y0 = tf.conv2d(x, w, c.stride, c.pad);
    const dy = tf.tensor(dys.subarray(0, y0.size), y0.shape);
    const g = tf.grad((w) =>
      tf
        .conv2d(x, w as tf.Tensor4D, c.stride, c.pad)
        .mul(dy)
        .sum(),
    )(w);
    return { dw: g.dataSync() as Float32Array, n: y0.size };
  });
}

describe('wasm gradient kernels', () => {
  it('registers every registry kernel on wasm (missing and faster ones)', async () => {
    const choice = await selectBackend('wasm');
    expect(choice.name).toBe('wasm');
    for (const k of GRADIENT_KERNELS) {
      expect(tf.getKernel(k.name, 'wasm')?.kernelFunc).toBe(k.kernelFunc);
    }
  });

  for (const c of CASES) {
    it(`Conv2DBackpropFilter and Conv2DBackpropInput match cpu: x ${c.x.join('×')}, k ${c.k}, stride ${c.stride}, ${c.pad}`, async () => {
      const rng = new Rng(7, `${c.x.join()}-${c.stride}-${c.pad}`);
      const xs = randomArray(
        rng,
        c.x.reduce((a, b) => a * b, 1),
      );
      const ws = randomArray(rng, c.k * c.k * c.x[3] * c.co);
      const dys = randomArray(rng, c.x[0] * c.x[1] * c.x[2] * c.co);
      await selectBackend('cpu');
      const ref = convGrads(c, xs, ws, dys);
      await selectBackend('wasm');
      const got = convGrads(c, xs, ws, dys);
      expect(got.dw.length).toBe(ref.dw.length);
      expect(relErr(got.dw, ref.dw)).toBeLessThan(1e-3);
      // Not vacuous: a gradient with the wrong dy differs by far more than the tolerance.
      const wrong = convGrads(
        c,
        xs,
        ws,
        dys.map((v) => -v * 0.5),
      );
      expect(relErr(wrong.dw, ref.dw)).toBeGreaterThan(0.5);
    });
  }
});
