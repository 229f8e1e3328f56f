/**
 * The encoder's conv configurations: every (kernel, stride) the schema accepts computes on wasm
 * what the cpu backend computes, while a stride larger than the kernel (refused) does not — the
 * measurement behind the refusal, which a fixed tfjs would show by failing the second test.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backend.ts';
import { EncoderConfigSchema } from './encoder.ts';

const SIDES = [8, 12, 13, 16];

/** Relative RMS error of wasm's fused 'same' conv against the cpu backend's plain conv2d. */
async function wasmError(side: number, k: number, s: number): Promise<number> {
  const x = tf.randomUniform([2, side, side, 3], 0, 1, 'float32', side);
  const w = tf.randomUniform([k, k, 3, 4], -1, 1, 'float32', k);
  const [xv, wv] = [await x.data(), await w.data()];
  tf.dispose([x, w]);
  const run = async (backend: string, fused: boolean) => {
    await selectBackend(backend);
    const xt = tf.tensor4d(xv, [2, side, side, 3]);
    const wt = tf.tensor4d(wv, [k, k, 3, 4]);
    const y = fused
      ? tf.fused.conv2d({ x: xt, filter: wt, strides: s, pad: 'same', bias: tf.zeros([4]) })
      : tf.conv2d(xt, wt, s, 'same');
    const v = await y.data();
    tf.dispose([xt, wt, y]);
    return v;
  };
  const ref = await run('cpu', false);
  const got = await run('wasm', true);
  let [e, n] = [0, 0];
  for (let i = 0; i < ref.length; i++) [e, n] = [e + (ref[i]! - got[i]!) ** 2, n + ref[i]! ** 2];
  return Math.sqrt(e / n);
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('encoder convolutions', () => {
  it('accepts stride ≤ kernel, and wasm computes every such conv right', async () => {
    for (const k of [1, 2, 3, 4]) {
      for (let s = 1; s <= Math.min(k, 4); s++) {
        expect(EncoderConfigSchema.safeParse({ kernel: k, stride: s }).success).toBe(true);
        for (const side of SIDES) expect(await wasmError(side, k, s)).toBeLessThan(1e-5);
      }
    }
  });

  it('refuses stride > kernel, which wasm computes wrongly', async () => {
    const r = EncoderConfigSchema.safeParse({ kernel: 3, stride: 4 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['stride']);
    expect(r.error?.issues[0]?.message).toMatch(/kernel/);
    // Wrong whenever 'same' padding would be negative: kernel 3 stride 4 at 8², kernel 2 stride 3 at 12².
    expect(await wasmError(8, 3, 4)).toBeGreaterThan(0.5);
    expect(await wasmError(12, 2, 3)).toBeGreaterThan(0.5);
    await selectBackend('wasm');
  });
});
