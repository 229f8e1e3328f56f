/**
 * Blur-pool computes what the ONNX export writes (a depthwise 3×3 conv, stride 2, 'same' zero
 * padding, on the cpu backend's own kernel) on odd and even sides and on wasm, removes the
 * Nyquist checkerboard, and the encoder schema accepts it only with stride 2.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/index.ts';
import { selectBackend } from './backend.ts';
import { BLUR_TAPS, blurPool } from './blur-pool.ts';
import { createEncoder, EncoderConfigSchema } from './encoder.ts';
import { Params } from './params.ts';

function randomInput(shape: [number, number, number, number], seed: number): Float32Array {
  const rng = new Rng(seed, 'blur');
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));
}

async function depthwiseReference(x: Float32Array, shape: [number, number, number, number]) {
  await selectBackend('cpu');
  const c = shape[3];
  const taps = BLUR_TAPS.flatMap((a) => BLUR_TAPS.map((b) => a * b));
  const f = tf.tensor4d(
    taps.flatMap((t) => Array<number>(c).fill(t)),
    [3, 3, c, 1],
  );
  const y = tf.depthwiseConv2d(tf.tensor4d(x, shape), f, 2, 'same');
  const out = { data: Float32Array.from(await y.data()), shape: y.shape };
  tf.dispose([f, y]);
  return out;
}

afterAll(async () => {
  await selectBackend('wasm');
});

describe('blurPool', () => {
  for (const backend of ['cpu', 'wasm']) {
    it(`equals a depthwise [1,2,1]² conv, stride 2, 'same' padding, on ${backend}`, async () => {
      const shapes: [number, number, number, number][] = [
        [2, 8, 8, 3],
        [1, 7, 10, 2],
        [1, 5, 3, 4],
        [1, 1, 2, 1],
      ];
      for (const [i, shape] of shapes.entries()) {
        const x = randomInput(shape, i);
        const ref = await depthwiseReference(x, shape);
        await selectBackend(backend);
        const y = blurPool(tf.tensor4d(x, shape));
        expect(y.shape).toEqual(ref.shape);
        const got = await y.data();
        y.dispose();
        let err = 0;
        for (let j = 0; j < got.length; j++) err = Math.max(err, Math.abs(got[j]! - ref.data[j]!));
        expect(err).toBeLessThan(1e-6);
      }
    });
  }

  it('removes the Nyquist checkerboard that plain subsampling keeps', async () => {
    await selectBackend('wasm');
    // A checkerboard on a constant: strided picking keeps one phase of it, blur-pool leaves the mean.
    const side = 8;
    const board = Float32Array.from({ length: side * side }, (_, k) =>
      (Math.floor(k / side) + (k % side)) % 2 === 0 ? 1.5 : 0.5,
    );
    const y = blurPool(tf.tensor4d(board, [1, side, side, 1]));
    const interior = (await y.data()).filter((_, k) => k % 4 !== 3 && k < 12);
    y.dispose();
    for (const v of interior) expect(v).toBeCloseTo(1, 6);
  });

  it('runs in the encoder at the same output size as the strided convs', async () => {
    await selectBackend('wasm');
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    for (const antialias of [false, true]) {
      const params = new Params(new Rng(1, 'enc'));
      const config = EncoderConfigSchema.parse({ width: 4, depth: 3, embedding: 5, antialias });
      const { pooled, embedding } = createEncoder(params, config).apply(x);
      expect(pooled.shape).toEqual([2, 16]);
      expect(embedding.shape).toEqual([2, 5]);
      tf.dispose([pooled, embedding, ...params.vars.values()]);
    }
    x.dispose();
  });

  it('is off by default and refused with a stride other than 2', () => {
    expect(EncoderConfigSchema.parse({}).antialias).toBe(false);
    const r = EncoderConfigSchema.safeParse({ antialias: true, stride: 1 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['antialias']);
    expect(r.error?.issues[0]?.message).toMatch(/needs stride 2/);
  });
});
