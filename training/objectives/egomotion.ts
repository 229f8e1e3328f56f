/**
 * Self-motion estimation (after Mineault, Bakhtiari, Richards & Pack 2021, "Your head is there to
 * move you around"): predict the head's self-motion from a short clip, the dorsal-stream diet to
 * set beside SFA and PredNet. The shared conv encoder sees each pair of consecutive frames stacked
 * along its three input channels as [Y_t, Y_{t+1}, 0.5 + Y_{t+1} − Y_t] (luminance; the encoder
 * takes three channels, and the difference channel hands it motion energy from the first layer),
 * and a linear head on its embedding predicts the chosen columns of `motion.npy` for that interval
 * (the mean of the two frames' rows). The loss is the mean squared error divided, per column, by
 * the batch variance of that column (+ε), so columns in m/s and rad/s weigh alike, and 1.0 means
 * "no better than predicting the batch mean".
 */
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../../core/errors.ts';
import { MOTION_COLUMNS, motionColumnIndices } from '../../scenes/motion.ts';
import type { TrainConfig } from '../config.ts';
import { createEncoder } from '../encoder.ts';
import type { Batch } from '../loader.ts';
import type { Objective, ObjectiveModel } from '../objective.ts';
import { Params } from '../params.ts';
import type { Rng } from '../../core/rng.ts';

/** Variance floor (units²: (m/s)², (rad/s)²) so near-constant columns cannot blow the loss up. */
export const VARIANCE_EPSILON = 1e-3;

export interface EgomotionModel extends ObjectiveModel {
  /** Names of the predicted motion.npy columns, in output order. */
  columns: string[];
  /** Clips [B, T, H, W, 3] in [0, 1] → predictions [B, T−1, K], one per consecutive frame pair. */
  predict(clips: tf.Tensor5D): tf.Tensor3D;
  /** motion rows [B, T, C] → targets [B, T−1, K] (mean of each pair's rows, chosen columns). */
  targets(motion: tf.Tensor3D): tf.Tensor3D;
}

/** [B, T, H, W, 3] → [B·(T−1), H, W, 3] pair images [Y_t, Y_{t+1}, 0.5 + Y_{t+1} − Y_t]. */
export function stackPairs(clips: tf.Tensor5D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t, h, w] = clips.shape;
    const y = tf.sum(tf.mul(clips, tf.tensor1d([0.299, 0.587, 0.114])), -1) as tf.Tensor4D;
    const y0 = y.slice([0, 0, 0, 0], [b, t - 1, h, w]);
    const y1 = y.slice([0, 1, 0, 0], [b, t - 1, h, w]);
    const diff = tf.add(tf.sub(y1, y0), 0.5);
    return tf.stack([y0, y1, diff], -1).reshape([b * (t - 1), h, w, 3]) as tf.Tensor4D;
  });
}

function noMotion(): DatadietError {
  return new DatadietError(
    'MODEL_DATA_MISMATCH',
    `egomotion needs the self-motion signals (<key>.motion.npy with ${MOTION_COLUMNS.length} columns) that this dataset lacks`,
    { hint: 'regenerate the dataset with this version of datadiet (it writes <key>.motion.npy)' },
  );
}

export function createEgomotion(config: TrainConfig, rng: Rng): EgomotionModel {
  const idx = motionColumnIndices(config.egomotion.targets);
  const k = idx.length;
  const params = new Params(rng.fork('init'));
  const encoder = createEncoder(params, config.encoder);
  const head = params.dense('egomotion/head', config.encoder.embedding, k);

  const predict = (clips: tf.Tensor5D): tf.Tensor3D =>
    tf.tidy(() => {
      const [b, t] = clips.shape;
      const e = encoder.apply(stackPairs(clips)).embedding;
      return tf.add(tf.matMul(e, head.w as tf.Tensor2D), head.b).reshape([b, t - 1, k]);
    });
  const targets = (motion: tf.Tensor3D): tf.Tensor3D =>
    tf.tidy(() => {
      const [b, t, c] = motion.shape;
      if (c !== MOTION_COLUMNS.length) throw noMotion();
      const m = tf.gather(motion, tf.tensor1d(idx, 'int32'), 2);
      const a = m.slice([0, 0, 0], [b, t - 1, k]);
      const z = m.slice([0, 1, 0], [b, t - 1, k]);
      return tf.mul(tf.add(a, z), 0.5) as tf.Tensor3D;
    });
  /** Per column: mean squared error and the batch variance of the target, both [K]. */
  const errors = (batch: Batch) => {
    if (batch.motion === undefined) throw noMotion();
    const y = targets(batch.motion).reshape([-1, k]);
    const p = predict(batch.left).reshape([-1, k]);
    const mse = tf.mean(tf.square(tf.sub(p, y)), 0) as tf.Tensor1D;
    const variance = tf.moments(y, 0).variance as tf.Tensor1D;
    return { mse, variance };
  };

  return {
    columns: idx.map((i) => MOTION_COLUMNS[i]!.name),
    params,
    predict,
    targets,
    // Single frames, as a pair with no motion (features for probes and alignment).
    encode: (x) =>
      tf.tidy(() => {
        const y = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), -1, true);
        return encoder.apply(tf.concat([y, y, tf.onesLike(y).mul(0.5)], -1) as tf.Tensor4D);
      }),
    loss(batch) {
      const { mse, variance } = errors(batch);
      return tf.mean(tf.div(mse, tf.add(variance, VARIANCE_EPSILON))) as tf.Scalar;
    },
    async metrics(batch) {
      const [r2, rmse] = tf.tidy(() => {
        const { mse, variance } = errors(batch);
        return [tf.sub(1, tf.div(mse, tf.add(variance, VARIANCE_EPSILON))), tf.sqrt(mse)];
      });
      const [r2v, rmsev] = [(await r2.data()) as Float32Array, (await rmse.data()) as Float32Array];
      tf.dispose([r2, rmse]);
      return {
        r2: Array.from(r2v).map((v) => +v.toFixed(4)),
        rmse: Array.from(rmsev).map((v) => +v.toPrecision(4)),
      };
    },
  };
}

export const egomotionObjective: Objective = {
  name: 'egomotion',
  description:
    "self-motion from consecutive frame pairs: the head's velocity and angular velocity from motion.npy (Mineault et al. 2021)",
  needs: (c) => ({ clipLength: c.clip ?? 2, eyes: 'left', labels: false, motion: true }),
  create({ config, rng }) {
    if ((config.clip ?? 2) < 2) {
      throw new DatadietError(
        'CLI_USAGE',
        `--clip ${config.clip}: egomotion needs clips of at least 2 frames`,
        {
          hint: 'use --clip 2 or more',
        },
      );
    }
    return createEgomotion(config, rng);
  },
};
