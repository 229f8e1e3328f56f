import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/index.ts';
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
  { x: [2, 8, 8, 3], k: 3, co: 4, stride: 2, pad: 'same' }, // the encoder's case: no crop
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
    const [gx, gw] = tf.grads((x, w) =>
      tf
        .conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad)
        .mul(dy)
        .sum(),
    )([x, w]);
    return {
      dx: gx!.dataSync() as Float32Array,
      dw: gw!.dataSync() as Float32Array,
      n: y0.size,
    };
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
      expect(got.dx.length).toBe(ref.dx.length);
      expect(relErr(got.dx, ref.dx)).toBeLessThan(1e-3);
      // Not vacuous: a gradient with the wrong dy differs by far more than the tolerance.
      const wrong = convGrads(
        c,
        xs,
        ws,
        dys.map((v) => -v * 0.5),
      );
      expect(relErr(wrong.dw, ref.dw)).toBeGreaterThan(0.5);
      expect(relErr(wrong.dx, ref.dx)).toBeGreaterThan(0.5);
    });
  }

  it('Unpack (tf.unstack) matches cpu on a rank-5 tensor, any axis', async () => {
    const rng = new Rng(5, 'unpack');
    const shape = [2, 3, 4, 5, 3];
    const vals = randomArray(
      rng,
      shape.reduce((a, b) => a * b, 1),
    );
    for (const axis of [0, 1, 2, 4, -1]) {
      const run = async (backend: string) => {
        await selectBackend(backend);
        return tf.tidy(() =>
          tf.unstack(tf.tensor(vals, shape), axis).map((t) => ({
            shape: t.shape,
            data: t.dataSync() as Float32Array,
          })),
        );
      };
      const ref = await run('cpu');
      const got = await run('wasm');
      expect(got.length).toBe(ref.length);
      for (let i = 0; i < ref.length; i++) {
        expect(got[i]!.shape).toEqual(ref[i]!.shape);
        expect(Array.from(got[i]!.data)).toEqual(Array.from(ref[i]!.data));
      }
      // Not vacuous: neighbouring slices differ.
      expect(Array.from(ref[1]!.data)).not.toEqual(Array.from(ref[0]!.data));
    }
  });

  /** Runs `f` on cpu and on wasm (with the registry's kernels); the outputs' shapes and data. */
  const onBoth = async (f: () => tf.Tensor | tf.Tensor[]) => {
    const run = async (backend: string) => {
      await selectBackend(backend);
      return tf.tidy(() =>
        [f()].flat().map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) })),
      );
    };
    return { ref: await run('cpu'), got: await run('wasm') };
  };

  it('Concat, SplitV and Slice match cpu: every axis, short and long runs, int32', async () => {
    const rng = new Rng(6, 'copies');
    // Channel counts below and above the element-loop threshold (64).
    const shapes = [
      [2, 3, 4, 5],
      [2, 3, 4, 70],
      [3, 5, 2, 3],
    ];
    const vals = shapes.map((s) =>
      randomArray(
        rng,
        s.reduce((a, b) => a * b, 1),
      ),
    );
    let checked = 0;
    for (const dtype of ['float32', 'int32'] as const) {
      const mk = (i: number, shape: number[]) =>
        tf.tensor(
          dtype === 'int32' ? Int32Array.from(vals[i]!, (v) => Math.round(v * 100)) : vals[i]!,
          shape,
          dtype,
        );
      for (const i of [0, 1])
        for (const axis of [0, 1, 2, 3, -1]) {
          const { ref, got } = await onBoth(() => {
            const x = mk(i, shapes[i]!);
            const reps = [1, 1, 1, 1];
            reps[(axis + 4) % 4] = 2;
            const c = tf.concat([x, tf.tile(x, reps), tf.mul(x, 2)], axis);
            return [c, ...tf.split(c, [2, -1, 3], axis), ...tf.split(c, 4, axis)];
          });
          expect(got.map((g) => g.shape)).toEqual(ref.map((r) => r.shape));
          for (let j = 0; j < ref.length; j++) expect(got[j]!.data).toEqual(ref[j]!.data);
          checked += ref.length;
        }
      for (const [begin, size] of [
        [
          [0, 1, 0, 2],
          [-1, 2, 3, 3],
        ],
        [
          [1, 0, 1, 0],
          [1, -1, 2, 70],
        ],
        [
          [1, 2, 3, 10],
          [1, 1, 1, 50],
        ],
      ] as const) {
        const { ref, got } = await onBoth(() => tf.slice(mk(1, shapes[1]!), [...begin], [...size]));
        expect(got).toEqual(ref);
        expect(new Set(ref[0]!.data).size).toBeGreaterThan(1);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('Slice matches cpu on a rank-5 clip (the unstack path)', async () => {
    const rng = new Rng(7, 'slice5');
    const shape = [2, 4, 3, 5, 3];
    const vals = randomArray(
      rng,
      shape.reduce((a, b) => a * b, 1),
    );
    for (const [begin, size] of [
      [
        [0, 1, 0, 0, 0],
        [2, 1, 3, 5, 3],
      ],
      [
        [1, 0, 1, 2, 1],
        [1, 3, 2, 2, 2],
      ],
    ]) {
      const { ref, got } = await onBoth(() => tf.slice(tf.tensor(vals, shape), begin!, size!));
      expect(got).toEqual(ref);
    }
  });

  it('Identity (clone) shares data yet outlives its source', async () => {
    await selectBackend('wasm');
    const x = tf.tensor([1, 2, 3, 4]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(tf.add(y, 1).dataSync())).toEqual([2, 3, 4, 5]);
    y.dispose();
  });

  it('input gradient follows a variable after assign', async () => {
    const rng = new Rng(3, 'assign');
    const [xs, w1, w2] = [2 * 6 * 6 * 3, 27 * 4, 27 * 4].map((n) => randomArray(rng, n));
    const dx = (backend: string, ws: Float32Array[]) =>
      selectBackend(backend).then(() => {
        const x = tf.tensor4d(xs!, [2, 6, 6, 3]);
        const v = tf.variable(tf.tensor4d(ws[0]!, [3, 3, 3, 4]));
        const out: Float32Array[] = [];
        for (const w of ws) {
          v.assign(tf.tensor4d(w, [3, 3, 3, 4]));
          // Twice per value, as a recurrent net does within one step.
          for (let i = 0; i < 2; i++) {
            const g = tf.grad((x) =>
              tf
                .conv2d(x as tf.Tensor4D, v, 1, 'same')
                .square()
                .sum(),
            )(x);
            out.push(g.dataSync() as Float32Array);
            g.dispose();
          }
        }
        v.dispose();
        x.dispose();
        return out;
      });
    const ref = await dx('cpu', [w1!, w2!]);
    const got = await dx('wasm', [w1!, w2!]);
    for (let i = 0; i < ref.length; i++) expect(relErr(got[i]!, ref[i]!)).toBeLessThan(1e-3);
    // The two values give clearly different gradients: the check is not vacuous.
    expect(relErr(ref[2]!, ref[0]!)).toBeGreaterThan(0.5);
  });
});
