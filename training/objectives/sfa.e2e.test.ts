/**
 * Whitened SFA: the whitening itself, the loss's preference at the default batch shape (the
 * finding that sank the penalty form: frame-to-frame noise beat perfectly slow features), and a
 * run at the default batch, clip and embedding judged on held-out rendered sequences against the
 * same encoder untrained and against closed-form linear SFA on the untrained encoder's features.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateTiny, tempDir } from '../../generator/test-helpers.ts';
import { selectBackend } from '../backend.ts';
import { TrainConfigSchema } from '../config.ts';
import { sequenceFeatures } from '../features.ts';
import { slownessStats, type FeatureSequence } from '../sfa-linear.ts';
import { buildModel, train } from '../train.ts';
import { WHITEN_EPSILON, inverseSqrt, sfaTerms } from './sfa.ts';

let data = '';

beforeAll(async () => {
  // Many held-out sequences: a sequence's slow outputs are about one sample of a correlation.
  const { out } = await generateTiny(
    {
      width: 16,
      height: 16,
      sequences: 192,
      frames: 8,
      layers: ['rgb'],
      sequences_per_shard: 32,
      lighting: { shadows: false },
      render: { antialias: false },
      camera: { trajectory: { kind: 'orbit', speed_deg_s: [20, 45] } },
    },
    { workers: 2 },
  );
  data = out;
  await selectBackend('wasm');
});

/** Mean and largest |correlation| between distinct outputs, over all rows of all sequences. */
function correlations(seqs: FeatureSequence[], dim: number) {
  const rows = seqs.flatMap((s) =>
    Array.from({ length: s.rows }, (_, r) => s.data.subarray(r * dim, (r + 1) * dim)),
  );
  const n = rows.length;
  const mean = new Float64Array(dim);
  for (const r of rows) for (let i = 0; i < dim; i++) mean[i]! += r[i]! / n;
  const cov = new Float64Array(dim * dim);
  for (const r of rows)
    for (let i = 0; i < dim; i++)
      for (let j = 0; j < dim; j++)
        cov[i * dim + j]! += ((r[i]! - mean[i]!) * (r[j]! - mean[j]!)) / (n - 1);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < dim; i++)
    for (let j = i + 1; j < dim; j++) {
      const c = Math.abs(cov[i * dim + j]! / Math.sqrt(cov[i * dim + i]! * cov[j * dim + j]!));
      sum += c;
      max = Math.max(max, c);
    }
  return {
    mean: sum / ((dim * (dim - 1)) / 2),
    max,
    variances: Array.from({ length: dim }, (_, i) => cov[i * dim + i]!),
  };
}

describe('whitened SFA', () => {
  it('whitens: W (C + εI) W = I by Newton–Schulz, eigenvalues from ε to D', () => {
    const d = 32;
    const [err, spread] = tf.tidy(() => {
      // A correlation matrix of 8 noisy directions (rank-deficient, as one small batch gives).
      const x = tf
        .randomNormal([64, 8], 0, 1, 'float32', 1)
        .matMul(tf.randomNormal([8, d], 0, 1, 'float32', 2));
      const { mean, variance } = tf.moments(x, 0);
      const u = tf.div(tf.sub(x, mean), tf.sqrt(variance));
      const c = tf.add(
        tf.div(tf.matMul(u, u, true), 64),
        tf.mul(WHITEN_EPSILON, tf.eye(d)),
      ) as tf.Tensor2D;
      const w = inverseSqrt(c);
      const e = tf.sub(tf.matMul(tf.matMul(w, c), w), tf.eye(d));
      return [tf.max(tf.abs(e)).dataSync()[0]!, tf.max(c).dataSync()[0]!];
    });
    expect(spread).toBeGreaterThan(1);
    expect(err).toBeLessThan(1e-3);
  });

  it('prefers perfectly slow features to frame-to-frame noise at the default batch (8 × 4, 32 outputs), at any scale', () => {
    const [b, t, d] = [8, 4, 32];
    const score = (kind: 'slow' | 'noise', scale: number) =>
      tf.tidy(() => {
        let total = 0;
        for (let seed = 0; seed < 10; seed++) {
          const y = (
            kind === 'slow'
              ? tf.tile(tf.randomNormal([b, 1, d], 0, scale, 'float32', seed), [1, t, 1])
              : tf.randomNormal([b, t, d], 0, scale, 'float32', seed)
          ) as tf.Tensor3D;
          // Running estimate of independent unit-variance outputs: the identity.
          const r = sfaTerms(y, undefined, { corr: tf.eye(d), valid: tf.scalar(true), mix: 0.5 });
          total += tf
            .add(tf.mean(r.slow), tf.mean(tf.square(tf.sub(r.variance, 1))))
            .dataSync()[0]!;
        }
        return total / 10;
      });
    const [slow, noise] = [score('slow', 1), score('noise', 1)];
    console.log(
      `whitened SFA loss at 8 × 4 rows, 32 outputs: perfectly slow ${slow.toFixed(3)}, noise ${noise.toFixed(3)}`,
    );
    expect(slow).toBeLessThan(0.5 * noise);
    // Standardised first: the scale of the outputs cannot lower the loss.
    expect(Math.abs(score('slow', 0.1) - slow)).toBeLessThan(0.01 * noise);
    // Up to float32 error in the whitening's smallest directions (measured ≤ 0.4 %).
    expect(Math.abs(score('noise', 0.1) - noise)).toBeLessThan(0.01 * noise);
  });

  it('at the default batch, clip and embedding: slower on held-out sequences than untrained and than sfa-linear, white outputs', async () => {
    const steps = 300;
    const config = {
      objective: 'sfa',
      steps,
      heldOutEvery: 2,
      logEvery: 50,
      checkpointEvery: steps,
    };
    const defaults = TrainConfigSchema.parse(config);
    expect([defaults.batch, defaults.clip ?? 4, defaults.encoder.embedding]).toEqual([8, 4, 32]);
    const r = await train({ data, out: await tempDir('sfa'), backend: 'wasm', config });
    const ho = { dir: data, split: 'heldout' as const, heldOutEvery: 2 };
    const trained = await sequenceFeatures({ ...ho, apply: (x) => r.model.encode!(x).embedding });
    const fresh = buildModel(defaults, r.shape);
    const untrained = await sequenceFeatures({ ...ho, apply: (x) => fresh.encode!(x).embedding });
    const lin = await train({
      data,
      out: await tempDir('sfa-linear'),
      backend: 'wasm',
      config: { ...config, objective: 'sfa-linear' },
    });
    const linear = await sequenceFeatures({ ...ho, apply: (x) => lin.model.encode!(x).embedding });
    const [s, u, l] = [trained, untrained, linear].map((f) => slownessStats(f.sequences, 32));
    const c = correlations(trained.sequences, 32);
    const vmin = Math.min(...c.variances);
    const vmax = Math.max(...c.variances);
    console.log(
      `SFA held-out (${trained.sequences.length} sequences, ${steps} steps): Δ trained ${s!.meanDelta.toFixed(4)}, untrained ${u!.meanDelta.toFixed(4)}, sfa-linear ${l!.meanDelta.toFixed(4)}; |corr| mean ${c.mean.toFixed(3)} max ${c.max.toFixed(3)}; variance ${vmin.toFixed(2)}–${vmax.toFixed(2)}`,
    );
    expect(trained.sequences.length).toBe(96);
    expect(s!.meanDelta).toBeLessThan(0.8 * u!.meanDelta);
    expect(s!.meanDelta).toBeLessThan(l!.meanDelta);
    // Whitened with the training split's statistics (calibrated after the last step), measured
    // on sequences it never saw. Measured: variance 0.75–1.78, |corr| mean 0.14, max 0.60; the
    // same features re-whitened with exact train-split statistics give 0.15 and 0.53, so what
    // remains is the gap between 96 training and 96 held-out sequences, not the estimate.
    expect(vmin).toBeGreaterThan(0.5);
    expect(vmax).toBeLessThan(2.2);
    expect(c.mean).toBeLessThan(0.2);
    expect(c.max).toBeLessThan(0.75);
    r.model.params.dispose();
    fresh.params.dispose();
    lin.model.params.dispose();
  }, 300_000);
});
