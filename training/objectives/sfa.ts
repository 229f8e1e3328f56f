/**
 * Deep slow-feature analysis (Wiskott & Sejnowski 2002) in penalty form: minimise the mean squared
 * change of the raw outputs between adjacent frames, subject to zero mean, unit variance and
 * decorrelation imposed as ‖Cov(y) − I‖² and ‖mean(y)‖² on the *raw* outputs. Nothing is divided
 * by a batch statistic plus an epsilon, so shrinking the outputs (PROBES' first collapse) costs
 * loss instead of hiding behind the epsilon; penalising every off-diagonal entry, not only the
 * variances, is what stops the second (correlated outputs).
 */
import * as tf from '@tensorflow/tfjs';
import { createEncoder } from '../encoder.ts';
import type { Batch } from '../loader.ts';
import type { Objective } from '../objective.ts';
import { Params } from '../params.ts';

interface Terms {
  /** Mean squared difference of adjacent outputs, per output [D]. */
  slow: tf.Tensor1D;
  cov: tf.Tensor2D;
  mean: tf.Tensor1D;
}

function sfaTerms(left: tf.Tensor3D, right: tf.Tensor3D | undefined): Terms {
  const [b, t, d] = left.shape;
  const diffs: tf.Tensor2D[] = [];
  if (t > 1) {
    const dt = tf.sub(left.slice([0, 1, 0], [b, t - 1, d]), left.slice([0, 0, 0], [b, t - 1, d]));
    diffs.push(dt.reshape([-1, d]));
  }
  if (right !== undefined) diffs.push(tf.sub(left, right).reshape([-1, d]));
  const all = (right === undefined ? left : tf.concat([left, right], 0)).reshape([-1, d]);
  const n = all.shape[0] as number;
  const mean = tf.mean(all, 0) as tf.Tensor1D;
  const c = tf.sub(all, mean);
  const cov = tf.div(tf.matMul(c, c, true, false), n - 1) as tf.Tensor2D;
  const slow = tf.mean(tf.square(tf.concat(diffs, 0)), 0) as tf.Tensor1D;
  return { slow, cov, mean };
}

export const sfaObjective: Objective = {
  name: 'sfa',
  description:
    'deep slow-feature analysis: slow outputs under zero-mean, unit-variance, decorrelation',
  needs: (c) => ({
    clipLength: c.clip ?? 4,
    eyes: c.sfa.binocular ? 'both' : 'left',
    labels: false,
  }),
  create({ config, rng }) {
    const params = new Params(rng.fork('init'));
    const encoder = createEncoder(params, config.encoder);
    const outputs = (clips: tf.Tensor5D) => {
      const [b, t, h, w] = clips.shape;
      const flat = clips.reshape([b * t, h, w, 3]) as tf.Tensor4D;
      return encoder.apply(flat).embedding.reshape([b, t, -1]) as tf.Tensor3D;
    };
    const terms = (batch: Batch) =>
      sfaTerms(outputs(batch.left), batch.right ? outputs(batch.right) : undefined);
    const d = config.encoder.embedding;
    return {
      params,
      encode: (x) => encoder.apply(x),
      loss(batch) {
        const { slow, cov, mean } = terms(batch);
        const offIdentity = tf.sub(cov, tf.eye(d));
        return tf.addN([
          tf.mean(slow),
          tf.mul(config.sfa.decorrelation / d, tf.sum(tf.square(offIdentity))),
          tf.mean(tf.square(mean)),
        ]) as tf.Scalar;
      },
      async metrics(batch) {
        const [delta, rawStd] = tf.tidy(() => {
          const { slow, cov } = terms(batch);
          const variance = tf.sum(tf.mul(cov, tf.eye(d)), 1);
          return [tf.div(slow, variance), tf.mean(tf.sqrt(variance))];
        });
        const [dv, sv] = [
          (await delta.data()) as Float32Array,
          (await rawStd.data()) as Float32Array,
        ];
        tf.dispose([delta, rawStd]);
        return {
          delta: Array.from(dv).map((v) => +v.toFixed(5)),
          raw_std: +sv[0]!.toFixed(5),
        };
      },
    };
  },
};

/** SFA outputs of a trained or fresh model for frames [N, H, W, 3] (evaluation, sfa-linear). */
export { sfaTerms };
