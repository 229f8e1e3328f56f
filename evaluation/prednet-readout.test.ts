/**
 * The R-unit readout reads the training model's own states (`recurrentStates`): one state per
 * layer with that layer's channels, with two and three layers (top-down input included). Then the
 * features: the documented size, dependent on the image, and an input gradient that matches
 * finite differences (saliency reads it).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/index.ts';
import { buildModel, selectBackend, TrainConfigSchema } from '../training/index.ts';
import { prednetRFeatures } from './prednet-readout.ts';

function model(channels: number[]) {
  const config = TrainConfigSchema.parse({
    objective: 'prednet',
    steps: 0,
    prednet: { channels },
    seed: 3,
  });
  return { m: buildModel(config, { height: 8, width: 8, numClasses: 4 }), config };
}

function randomFrames(shape: number[], seed: number) {
  const rng = new Rng(seed, 'prednet-readout-test');
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.next()),
    shape,
  );
}

describe('PredNet R-unit readout', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  for (const channels of [
    [3, 4],
    [3, 4, 6],
  ]) {
    it(`reads one R state per layer, with that layer's channels (channels ${channels.join(',')})`, () => {
      const { m } = model(channels);
      const clip = randomFrames([2, 3, 8, 8, 3], channels.length) as tf.Tensor5D;
      const R = m.recurrentStates!(clip);
      expect(R.map((r) => r.shape[3])).toEqual(channels);
      expect(R.map((r) => r.shape.slice(0, 3))).toEqual(
        channels.map((_, l) => [2, 8 / 2 ** l, 8 / 2 ** l]),
      );
      m.params.dispose();
    });
  }

  it('gives Σ channels features per image that depend on the image and have right gradients', () => {
    const { m } = model([3, 4]);
    const x = randomFrames([3, 8, 8, 3], 9) as tf.Tensor4D;
    const f = prednetRFeatures(m.recurrentStates!, x);
    expect(f.shape).toEqual([3, 7]);
    const rows = f.arraySync();
    // Different images, different R states.
    expect(Math.max(...rows[0]!.map((v, i) => Math.abs(v - rows[1]![i]!)))).toBeGreaterThan(1e-4);
    // The readout is after PREDNET_READOUT_FRAMES frames, not the first (which saw no error yet).
    const first = tf.concat(
      m.recurrentStates!(tf.expandDims(x, 1) as tf.Tensor5D).map((r) => tf.mean(r, [1, 2])),
      1,
    );
    expect(tf.max(tf.abs(tf.sub(first, f))).dataSync()[0]!).toBeGreaterThan(1e-4);
    // d(feature 5 of image 0)/d(pixel) against central differences, in float32 tolerance.
    const one = tf.slice(x, [0], [1]);
    const target = (v: tf.Tensor4D) =>
      prednetRFeatures(m.recurrentStates!, v).slice([0, 5], [1, 1]).sum();
    const grad = tf
      .grad((v: tf.Tensor) => target(v as tf.Tensor4D))(one)
      .dataSync();
    const base = one.dataSync();
    const h = 1e-2;
    for (const i of [0, 37, 100, 191]) {
      const up = Float32Array.from(base);
      const dn = Float32Array.from(base);
      up[i]! += h;
      dn[i]! -= h;
      const fd =
        (target(tf.tensor4d(up, one.shape)).dataSync()[0]! -
          target(tf.tensor4d(dn, one.shape)).dataSync()[0]!) /
        (2 * h);
      expect(Math.abs(grad[i]! - fd)).toBeLessThan(2e-3 + 0.05 * Math.abs(fd));
    }
    m.params.dispose();
  });
});
