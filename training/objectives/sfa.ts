/**
 * Deep slow-feature analysis (Wiskott & Sejnowski 2002) by differentiable whitening, after
 * Schüler, Hlynsson & Wiskott (2019, PowerSFA): the outputs are whitened, and the loss is the
 * mean squared change of the *whitened* outputs between adjacent frames, so unit variance and
 * decorrelation hold by construction instead of being traded against slowness.
 *
 * Why not whiten over the batch alone: a batch of B clips holds at most B − 1 independent
 * between-clip directions, so at the defaults (8 clips × 4 frames, 32 outputs) no 32 outputs can
 * be both slow and white within a batch; the old penalty ‖Cov − I‖² on one batch measurably
 * preferred frame-to-frame noise to perfectly slow features (8.3 vs 6.1) and shrank the outputs.
 * Here the whitening matrix comes from a covariance that mixes the batch's (with gradient) with a
 * running estimate over past batches (no gradient, momentum `momentum`): full rank at any batch
 * size, and the running statistics are what the trained model whitens with at evaluation (as
 * batch norm does). Outputs are standardised per dimension first, so the loss is exactly
 * invariant to each output's scale (no drift towards zero), and a penalty on the whitened
 * outputs' batch variances (diagonal only: a diagonal is not rank-limited) rules out collapsing
 * every output onto one slow direction, which the ε that keeps the whitening finite would reward.
 */
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../../core/index.ts';
import type { SfaConfigSchema } from '../config.ts';
import { createEncoder } from '../encoder.ts';
import { disposeBatch, type Batch } from '../loader.ts';
import type { Objective } from '../objective.ts';
import { Params } from '../params.ts';
import type { z } from 'zod';

type SfaConfig = z.infer<typeof SfaConfigSchema>;

/** Ridge on the correlation matrix before whitening: directions with less variance are damped. */
export const WHITEN_EPSILON = 1e-2;
/** Coupled Newton–Schulz steps: converges for eigenvalues down to ~ε/D (tested in sfa.e2e.test.ts). */
const NEWTON_SCHULZ_STEPS = 24;

/**
 * A^{-1/2} of a symmetric positive definite [D, D] matrix by the coupled Newton–Schulz iteration
 * (Higham 2008; IterNorm, Huang et al. 2019): matmuls only, so it differentiates on every tfjs
 * backend, and nothing is read back to JS (webgpu in Node cannot read synchronously).
 */
export function inverseSqrt(a: tf.Tensor2D, steps = NEWTON_SCHULZ_STEPS): tf.Tensor2D {
  return tf.tidy(() => {
    const d = a.shape[0];
    const eye = tf.eye(d);
    // Scale so every eigenvalue lies in (0, 1]: the Frobenius norm bounds the largest.
    const norm = tf.sqrt(tf.sum(tf.square(a)));
    let y: tf.Tensor2D = tf.div(a, norm);
    let zm: tf.Tensor2D = eye;
    for (let k = 0; k < steps; k++) {
      const t = tf.mul(0.5, tf.sub(tf.mul(3, eye), tf.matMul(zm, y))) as tf.Tensor2D;
      y = tf.matMul(y, t);
      zm = tf.matMul(t, zm);
    }
    return tf.div(zm, tf.sqrt(norm)) as tf.Tensor2D;
  });
}

/** Identity forward, zero gradient (tfjs has no stop_gradient op). */
const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as <T extends tf.Tensor>(x: T) => T;

/** [N, D] rows → per-dimension mean, variance (1/N) and the standardised rows. */
function standardise(rows: tf.Tensor2D) {
  const { mean, variance } = tf.moments(rows, 0);
  const u = tf.div(tf.sub(rows, mean), tf.sqrt(tf.add(variance, 1e-6))) as tf.Tensor2D;
  return { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, u };
}

export interface SfaTerms {
  /** Mean squared change of each whitened output between adjacent frames (or eyes), [D]. */
  slow: tf.Tensor1D;
  /** Batch variance of each whitened output, [D] (1 when the batch matches the running stats). */
  variance: tf.Tensor1D;
  /** The batch's own statistics, for the running estimate. */
  batch: { mean: tf.Tensor1D; variance: tf.Tensor1D; corr: tf.Tensor2D };
}

/**
 * The whitened-SFA terms of outputs [B, T, D] (and the right eye's, binocular). `running` is the
 * population correlation estimate mixed in with weight `mix`, used where `valid` (a boolean
 * scalar: false before the first batch, then the batch's own correlation stands in for it).
 */
export function sfaTerms(
  left: tf.Tensor3D,
  right: tf.Tensor3D | undefined,
  running?: { corr: tf.Tensor2D; valid: tf.Tensor; mix: number },
): SfaTerms {
  const [b, t, d] = left.shape;
  const all = (right === undefined ? left : tf.concat([left, right], 0)).reshape([-1, d]);
  const n = all.shape[0] as number;
  const { mean, variance, u } = standardise(all as tf.Tensor2D);
  const corr = tf.div(tf.matMul(u, u, true, false), n) as tf.Tensor2D;
  const mixed = running
    ? tf.add(
        tf.mul(1 - running.mix, corr),
        tf.mul(running.mix, stopGradient(tf.where(running.valid, running.corr, corr))),
      )
    : corr;
  const w = inverseSqrt(tf.add(mixed, tf.mul(WHITEN_EPSILON, tf.eye(d))) as tf.Tensor2D);
  const z = tf.matMul(u, w);
  const zl = z.slice([0, 0], [b * t, d]).reshape([b, t, d]);
  const diffs: tf.Tensor[] = [];
  if (t > 1) {
    diffs.push(tf.sub(zl.slice([0, 1, 0], [b, t - 1, d]), zl.slice([0, 0, 0], [b, t - 1, d])));
  }
  if (right !== undefined)
    diffs.push(tf.sub(zl, z.slice([b * t, 0], [b * t, d]).reshape([b, t, d])));
  const slow = tf.mean(
    tf.square(
      tf.concat(
        diffs.map((x) => x.reshape([-1, d])),
        0,
      ),
    ),
    0,
  );
  const zVariance = tf.mean(tf.square(z), 0) as tf.Tensor1D;
  return { slow: slow as tf.Tensor1D, variance: zVariance, batch: { mean, variance, corr } };
}

/**
 * The trained model's output transform y ↦ (y − mean) · matrix, matrix = diag(1/std) ·
 * (corr + εI)^{-1/2}: standardise, then whiten. One place for `encode` and the ONNX export.
 */
export function whitening(s: { mean(): tf.Tensor; variance(): tf.Tensor; corr(): tf.Tensor2D }) {
  return tf.tidy(() => {
    const d = s.corr().shape[0];
    const w = inverseSqrt(tf.add(s.corr(), tf.mul(WHITEN_EPSILON, tf.eye(d))) as tf.Tensor2D);
    const invStd = tf.div(1, tf.sqrt(tf.add(s.variance(), 1e-6)));
    return {
      mean: s.mean() as tf.Tensor1D,
      matrix: tf.mul(invStd.reshape([d, 1]), w) as tf.Tensor2D,
    };
  });
}

/**
 * The running statistics a checkpoint holds, bias-corrected as in training; null before any
 * batch (an untrained model's outputs are not whitened).
 */
export function checkpointStats(w: tf.NamedTensorMap, momentum: number) {
  const count = w['sfa/running_count']?.dataSync()[0] ?? 0;
  if (!(count > 0)) return null;
  const c = Math.max(1e-12, 1 - momentum ** count);
  const get = (name: string) => tf.div(w[`sfa/running_${name}`]!, c);
  return {
    mean: () => get('mean'),
    variance: () => get('variance'),
    corr: () => get('corr') as tf.Tensor2D,
  };
}

/** Running (population) statistics of the raw outputs, bias-corrected like Adam's moments. */
function runningStats(params: Params, d: number, momentum: number) {
  const mean = params.state('sfa/running_mean', [d], { kind: 'zeros' });
  const variance = params.state('sfa/running_variance', [d], { kind: 'zeros' });
  const corr = params.state('sfa/running_corr', [d, d], { kind: 'zeros' });
  // Batches folded in, for the bias correction 1 − momentumⁿ (0: no statistics yet). Kept on
  // the device: webgpu in Node cannot read a tensor synchronously.
  const count = params.state('sfa/running_count', [], { kind: 'zeros' });
  const corrected = <T extends tf.Tensor>(v: T): T =>
    tf.div(v, tf.maximum(1e-12, tf.sub(1, tf.pow(momentum, count)))) as T;
  return {
    valid: () => tf.greater(count, 0),
    mean: () => corrected(mean),
    variance: () => corrected(variance),
    corr: () => corrected(corr) as tf.Tensor2D,
    /** Replaces the estimate with exact statistics (calibration): weight 1, no bias correction. */
    set(exact: { mean: tf.Tensor; variance: tf.Tensor; corr: tf.Tensor }) {
      mean.assign(exact.mean);
      variance.assign(exact.variance);
      corr.assign(exact.corr);
      // momentum^count underflows to 0: the correction factor is exactly 1.
      count.assign(tf.scalar(1e9));
    },
    /** Folds one batch's statistics in (no gradient flows into variables). */
    update(batch: SfaTerms['batch']) {
      tf.tidy(() => {
        const fold = (v: tf.Variable, x: tf.Tensor) =>
          v.assign(tf.add(tf.mul(momentum, v), tf.mul(1 - momentum, stopGradient(x))));
        fold(mean, batch.mean);
        fold(variance, batch.variance);
        fold(corr, batch.corr);
        count.assign(tf.add(count, 1));
      });
    },
  };
}

export const sfaObjective: Objective = {
  name: 'sfa',
  description:
    'deep slow-feature analysis: slowest outputs after whitening (unit variance, decorrelated)',
  needs: (c) => ({
    clipLength: c.clip ?? 4,
    eyes: c.sfa.binocular ? 'both' : 'left',
    labels: false,
  }),
  create({ config, rng }) {
    const sfa: SfaConfig = config.sfa;
    if ((config.clip ?? 4) < 2 && !sfa.binocular) {
      throw new DatadietError(
        'CONFIG_INVALID',
        `clip ${config.clip}: sfa compares adjacent frames, so it needs clips of at least 2 frames`,
        {
          hint: 'use clips of 2 frames or more (default 4), or binocular SFA to compare the two eyes',
          field: { config: 'train', path: 'clip' },
        },
      );
    }
    const params = new Params(rng.fork('init'));
    const encoder = createEncoder(params, config.encoder);
    const d = config.encoder.embedding;
    const stats = runningStats(params, d, sfa.momentum);
    const outputs = (clips: tf.Tensor5D) => {
      const [b, t, h, w] = clips.shape;
      const flat = clips.reshape([b * t, h, w, 3]) as tf.Tensor4D;
      return encoder.apply(flat).embedding.reshape([b, t, -1]) as tf.Tensor3D;
    };
    const terms = (batch: Batch) =>
      sfaTerms(outputs(batch.left), batch.right ? outputs(batch.right) : undefined, {
        corr: stats.corr(),
        valid: stats.valid(),
        mix: sfa.mix,
      });
    return {
      params,
      encode: (x) =>
        tf.tidy(() => {
          const { pooled, embedding } = encoder.apply(x);
          // Whitened with the running statistics, as at the end of training; an untrained model
          // has none and gives its raw outputs (held-out slowness is judged scale-free).
          const { mean, matrix } = whitening(stats);
          const white = tf.matMul(tf.sub(embedding, mean), matrix) as tf.Tensor2D;
          return { pooled, embedding: tf.where(stats.valid(), white, embedding) as tf.Tensor2D };
        }),
      loss(batch) {
        const r = terms(batch);
        // This batch joins the running estimate after being whitened with the earlier ones only;
        // inside minimize, so a checkpoint after step n holds exactly n batches' statistics.
        stats.update(r.batch);
        return tf.add(
          tf.mean(r.slow),
          tf.mul(sfa.variance, tf.mean(tf.square(tf.sub(r.variance, 1)))),
        ) as tf.Scalar;
      },
      async calibrate(next) {
        // Exact statistics of the final weights over fresh training batches, pooled over rows.
        let sum = tf.zeros([d]);
        let outer = tf.zeros([d, d]);
        let rows = 0;
        let used = 0;
        for (; used < sfa.calibrationBatches; used++) {
          const batch = await next();
          if (batch === undefined) break;
          const [s1, o1] = tf.tidy(() => {
            const y = tf.concat(
              [batch.left, ...(batch.right ? [batch.right] : [])].map((c) =>
                outputs(c).reshape([-1, d]),
              ),
              0,
            );
            rows += y.shape[0] as number;
            return [tf.add(sum, tf.sum(y, 0)), tf.add(outer, tf.matMul(y, y, true, false))];
          });
          tf.dispose([sum, outer]);
          [sum, outer] = [s1!, o1!];
          disposeBatch(batch);
        }
        if (rows > 1) {
          tf.tidy(() => {
            const mean = tf.div(sum, rows) as tf.Tensor1D;
            const cov = tf.sub(tf.div(outer, rows), tf.outerProduct(mean, mean));
            const variance = tf.maximum(tf.sum(tf.mul(cov, tf.eye(d)), 1), 0);
            const std = tf.sqrt(tf.add(variance, 1e-6)) as tf.Tensor1D;
            stats.set({ mean, variance, corr: tf.div(cov, tf.outerProduct(std, std)) });
          });
        }
        tf.dispose([sum, outer]);
        return { calibration_batches: used };
      },
      async metrics(batch) {
        const [delta, variance] = tf.tidy(() => {
          const r = terms(batch);
          // Δ-value of each whitened output on this (training) batch; held-out figures come
          // from evaluation's slowness on sequences never trained on.
          return [tf.div(r.slow, r.variance), r.variance];
        });
        const [dv, vv] = [
          (await delta.data()) as Float32Array,
          (await variance.data()) as Float32Array,
        ];
        tf.dispose([delta, variance]);
        const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
        return {
          delta: Array.from(dv).map((v) => +v.toFixed(5)),
          whitened_variance: +mean(vv).toFixed(5),
        };
      },
    };
  },
};
