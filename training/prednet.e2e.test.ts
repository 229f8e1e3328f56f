/**
 * PredNet on a tiny rendered moving-object dataset (static camera close to one fast object on a
 * lit, textured background: PROBES' first trap is a black one) at the objective's defaults — 16²,
 * layers (3, 16), T = 8, batch 8, L0 loss, Adam at 1e-2 (at 3e-3 our rendered scenes need ~400
 * steps instead of 200). Judged on held-out sequences against copying the last frame.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateTiny, tempDir } from '../generator/test-helpers.ts';
import {
  createLoader,
  createPrednet,
  disposeBatch,
  layerWeights,
  nextFrameMse,
  Params,
  PrednetConfigSchema,
  selectBackend,
  train,
} from './index.ts';
import { Rng } from '../core/index.ts';

let data = '';

beforeAll(async () => {
  const { out } = await generateTiny(
    {
      width: 16,
      height: 16,
      sequences: 20,
      frames: 8,
      layers: ['rgb'],
      sequences_per_shard: 10,
      lighting: { shadows: false },
      render: { antialias: false },
      objects: {
        count: 1,
        scale: [1, 1.4],
        motion: { kind: 'kinematic', p_moving: 1, speed_m_s: [1.5, 3] },
      },
      camera: { trajectory: { kind: 'static', distance_m: [1.3, 1.7] }, jitter_deg: 0 },
    },
    { workers: 2 },
  );
  data = out;
  await selectBackend('wasm');
});

async function heldOutMse(predict: (f: tf.Tensor5D) => tf.Tensor4D[]) {
  const loader = await createLoader({
    dir: data,
    batchSize: 8,
    clipLength: 8,
    split: 'heldout',
    heldOutEvery: 4,
    repeat: false,
    shuffleBuffer: 1,
  });
  let m = 0;
  let c = 0;
  let n = 0;
  for await (const b of loader.batches()) {
    const r = await nextFrameMse(predict, b.left);
    const k = b.keys.length;
    [m, c, n] = [m + r.model * k, c + r.copyLast * k, n + k];
    disposeBatch(b);
  }
  return { model: m / n, copyLast: c / n, sequences: n };
}

describe('PredNet', () => {
  it('has Lotter et al.’s layer weights and time weights (t0 = 0)', () => {
    expect(
      layerWeights(PrednetConfigSchema.parse({ channels: [3, 8, 8, 8], layerLoss: 'L0' })),
    ).toEqual([1, 0, 0, 0]);
    expect(
      layerWeights(PrednetConfigSchema.parse({ channels: [3, 8, 8, 8], layerLoss: 'L_all' })),
    ).toEqual([1, 0.1, 0.1, 0.1]);
    // Untrained, biases zero: Â starts at ReLU(conv(0)) = 0, so the t = 0 error is the frame itself.
    const net = createPrednet(
      new Params(new Rng(0)),
      PrednetConfigSchema.parse({ channels: [3, 4] }),
    );
    const x = tf.fill([2, 3, 8, 8, 3], 0.5) as tf.Tensor5D;
    const { errors, predictions } = net.run(x);
    expect(predictions).toHaveLength(3);
    expect(predictions[0]!.max().dataSync()[0]).toBe(0);
    // E = [ReLU(Â − A), ReLU(A − Â)] = [0, 0.5]: mean 0.25 over both halves.
    expect(errors[0]![0]!.dataSync()[0]).toBeCloseTo(0.25, 6);
    // Loss = batch mean of Σ_{t ≥ 1} E_0(t) / (T − 1): time weight 0 at t = 0, layer weights L0.
    const want = tf.tidy(() => {
      const perT = errors.slice(1).map((e) => e[0]!);
      return tf.mean(tf.div(tf.addN(perT), errors.length - 1)).dataSync()[0]!;
    });
    expect(net.loss(x).dataSync()[0]).toBeCloseTo(want, 6);
    expect(want).not.toBeCloseTo(errors[0]![0]!.mean().dataSync()[0]!, 3);
    net.params.dispose();
  });

  it('beats copy-last-frame next-frame MSE on held-out sequences after ~200 steps', async () => {
    const r = await train({
      data,
      out: await tempDir('prednet'),
      backend: 'wasm',
      config: {
        objective: 'prednet',
        steps: 200,
        heldOutEvery: 4,
        logEvery: 50,
        checkpointEvery: 200,
      },
    });
    expect([r.config.lr, r.config.batch, r.config.prednet.channels]).toEqual([1e-2, 8, [3, 16]]);
    const mean = (xs: { loss: number }[]) => xs.reduce((a, x) => a + x.loss, 0) / xs.length;
    expect(mean(r.losses.slice(-10))).toBeLessThan(0.5 * mean(r.losses.slice(0, 10)));
    const mse = await heldOutMse((f) => r.model.predictFrames!(f));
    console.log(
      `PredNet held-out next-frame MSE ${mse.model.toFixed(5)} vs copy-last ${mse.copyLast.toFixed(5)} (${(mse.model / mse.copyLast).toFixed(3)}×, ${mse.sequences} sequences)`,
    );
    expect(mse.sequences).toBe(5);
    expect(mse.copyLast).toBeGreaterThan(1e-4); // the objects do move
    expect(mse.model).toBeLessThan(mse.copyLast);
    r.model.params.dispose();
  });
});
