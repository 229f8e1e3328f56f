/**
 * Self-motion estimation (after Mineault, Bakhtiari, Richards & Pack 2021, "Your head is there to
 * move you around"): predict the head's self-motion from a short clip, the dorsal-stream diet to
 * set beside SFA and PredNet. The shared conv encoder sees each pair of consecutive frames stacked
 * along its three input channels as [Y_t, Y_{t+1}, 0.5 + Y_{t+1} − Y_t] (luminance; the encoder
 * takes three channels, and the difference channel hands it motion energy from the first layer),
 * and a linear head on its embedding predicts the chosen targets for that interval (the mean of
 * the two frames' motion.npy rows).
 *
 * Targets, as Mineault et al.: `heading`, the direction of the head's velocity (speed itself is
 * scale-ambiguous from images), and `head_angvel`, the rotation; any motion.npy group may be
 * added. Each target column is standardised with the training split's mean and standard
 * deviation, measured once before the first step and kept in the run (checkpoint variables and
 * `targets.json`), and the loss is the plain mean squared error of the standardised targets: every
 * column weighs alike, with no per-batch variance to divide by (at batch 8 that reweighted columns
 * up to 1000×).
 */
import * as tf from '@tensorflow/tfjs';
import { DatadietError, type Rng } from '../../core/index.ts';
import { MOTION_COLUMNS } from '../../scenes/index.ts';
import type { TrainConfig } from '../config.ts';
import { createEncoder } from '../encoder.ts';
import { disposeBatch, type Batch } from '../loader.ts';
import type { Objective, ObjectiveModel } from '../objective.ts';
import { Params } from '../params.ts';

/** Below this speed (m/s) `heading` shrinks towards zero instead of amplifying noise. */
export const HEADING_SPEED_FLOOR = 0.05;
/** Training batches read, before the first step, for the targets' mean and standard deviation. */
export const TARGET_STATS_BATCHES = 64;
/** Targets that are not motion.npy column groups but derived from them. */
export const DERIVED_TARGETS = ['heading'] as const;

export interface EgomotionModel extends ObjectiveModel {
  /** Names of the predicted motion.npy columns, in output order. */
  columns: string[];
  /** Clips [B, T, H, W, 3] in [0, 1] → predictions [B, T−1, K], one per consecutive frame pair. */
  predict(clips: tf.Tensor5D): tf.Tensor3D;
  /** motion rows [B, T, C] → targets [B, T−1, K] (mean of each pair's rows, chosen columns). */
  targets(motion: tf.Tensor3D): tf.Tensor3D;
  /** Target groups in output order, with their columns' positions (for R² per group). */
  groups: { name: string; columns: number[] }[];
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

function noMotion(columns: number): DatadietError {
  return new DatadietError(
    'MODEL_DATA_MISMATCH',
    `egomotion needs the self-motion signals (<key>.motion.npy with ${columns} columns) that this dataset lacks`,
    { hint: 'regenerate the dataset with this version of datadiet (it writes <key>.motion.npy)' },
  );
}

/**
 * The columns of motion.npy as this version writes them: what a model rebuilt from a checkpoint
 * assumes (its data's columns are not at hand), and what training gets from manifests that match.
 */
export const WRITTEN_MOTION_COLUMNS: readonly string[] = MOTION_COLUMNS.map((c) => c.name);

/**
 * The predicted columns' names, in output order, and each target group's motion.npy sources,
 * found by name in `columns` (the dataset manifest's `motion.columns`): a group is the column of
 * that name or the columns `<group>_*`, in name order; `heading_x` comes from `head_vel_x`.
 * MODEL_DATA_MISMATCH names the targets it lacks.
 */
export function targetColumns(
  targets: readonly string[],
  columns: readonly string[] = WRITTEN_MOTION_COLUMNS,
) {
  const groups: { name: string; columns: number[]; source: number[] }[] = [];
  const names: string[] = [];
  const lacking: string[] = [];
  for (const g of targets) {
    const start = names.length;
    // heading: the direction of the head's velocity, from the head_vel columns.
    const group = g === 'heading' ? 'head_vel' : g;
    // By name, in name order (x, y, z), wherever the dataset put them.
    const source = columns
      .flatMap((c, i) => (c === group || c.startsWith(`${group}_`) ? [i] : []))
      .sort((i, j) => (columns[i]! < columns[j]! ? -1 : 1));
    if (source.length === 0) {
      lacking.push(g === 'heading' ? 'heading (head_vel)' : g);
      continue;
    }
    names.push(
      ...source.map((i) =>
        g === 'heading' ? `heading${columns[i]!.slice(group.length)}` : columns[i]!,
      ),
    );
    groups.push({ name: g, columns: source.map((_, j) => start + j), source });
  }
  if (lacking.length > 0) {
    throw new DatadietError(
      'MODEL_DATA_MISMATCH',
      `egomotion targets ${lacking.join(', ')} are not among the dataset's motion columns (manifest.json motion.columns: ${columns.join(', ') || 'none'})`,
      {
        hint: "choose --motion-targets from the dataset's motion columns, or regenerate the dataset with this version of datadiet",
      },
    );
  }
  return { groups, names };
}

/** `columns`: the data's motion.npy column names (manifest.json `motion.columns`). */
export function createEgomotion(
  config: TrainConfig,
  rng: Rng,
  columns: readonly string[] = WRITTEN_MOTION_COLUMNS,
): EgomotionModel {
  const { groups, names } = targetColumns(config.egomotion.targets, columns);
  const k = names.length;
  const params = new Params(rng.fork('init'));
  const encoder = createEncoder(params, config.encoder);
  const head = params.dense('egomotion/head', config.encoder.embedding, k);
  // The training split's target statistics (prepare), saved with the weights.
  const targetMean = params.state('egomotion/target_mean', [k], { kind: 'zeros' });
  const targetStd = params.state('egomotion/target_std', [k], { kind: 'constant', value: 1 });

  /** Standardised predictions [B·(T−1), K]. */
  const predictStandard = (clips: tf.Tensor5D) =>
    tf.add(tf.matMul(encoder.apply(stackPairs(clips)).embedding, head.w as tf.Tensor2D), head.b);
  const predict = (clips: tf.Tensor5D): tf.Tensor3D =>
    tf.tidy(() => {
      const [b, t] = clips.shape;
      const p = tf.add(tf.mul(predictStandard(clips), targetStd), targetMean);
      return p.reshape([b, t - 1, k]);
    });
  const targets = (motion: tf.Tensor3D): tf.Tensor3D =>
    tf.tidy(() => {
      const [b, t, c] = motion.shape;
      if (c !== columns.length) throw noMotion(columns.length);
      const parts = groups.map((g) => {
        const m = tf.gather(motion, tf.tensor1d(g.source, 'int32'), 2);
        const n = g.source.length;
        const pair = tf.mul(
          tf.add(m.slice([0, 0, 0], [b, t - 1, n]), m.slice([0, 1, 0], [b, t - 1, n])),
          0.5,
        );
        if (g.name !== 'heading') return pair;
        const speed = tf.sqrt(tf.sum(tf.square(pair), -1, true));
        return tf.div(pair, tf.maximum(speed, HEADING_SPEED_FLOOR));
      });
      return tf.concat(parts, 2) as tf.Tensor3D;
    });
  const standard = (y: tf.Tensor) => tf.div(tf.sub(y, targetMean), targetStd);
  /** Per column: mean squared error of the standardised targets and their batch variance, [K]. */
  const errors = (batch: Batch) => {
    if (batch.motion === undefined) throw noMotion(columns.length);
    const y = standard(targets(batch.motion).reshape([-1, k]));
    const p = predictStandard(batch.left);
    const mse = tf.mean(tf.square(tf.sub(p, y)), 0) as tf.Tensor1D;
    const variance = tf.moments(y, 0).variance as tf.Tensor1D;
    return { mse, variance };
  };

  return {
    columns: names,
    groups: groups.map(({ name, columns }) => ({ name, columns })),
    params,
    predict,
    targets,
    // Single frames, as a pair with no motion (features for probes and alignment).
    encode: (x) =>
      tf.tidy(() => {
        const y = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), -1, true);
        return encoder.apply(tf.concat([y, y, tf.onesLike(y).mul(0.5)], -1) as tf.Tensor4D);
      }),
    async prepare(next) {
      // Float64 sums in JS: a few hundred rows, read once before training.
      const sum = new Float64Array(k);
      const sq = new Float64Array(k);
      let rows = 0;
      for (let i = 0; i < TARGET_STATS_BATCHES; i++) {
        const batch = await next();
        if (batch === undefined) break;
        if (batch.motion === undefined) throw noMotion(columns.length);
        const y = targets(batch.motion);
        const v = await y.data();
        y.dispose();
        disposeBatch(batch);
        for (let r = 0; r < v.length / k; r++) {
          for (let j = 0; j < k; j++) {
            sum[j]! += v[r * k + j]!;
            sq[j]! += v[r * k + j]! ** 2;
          }
          rows++;
        }
      }
      const mean = Array.from(sum, (s) => s / Math.max(1, rows));
      // A column that never varies keeps std 1: standardising it would divide by zero.
      const std = Array.from(sq, (s, j) => {
        const v = s / Math.max(1, rows) - mean[j]! ** 2;
        return v > 1e-12 ? Math.sqrt(v) : 1;
      });
      targetMean.assign(tf.tensor1d(mean));
      targetStd.assign(tf.tensor1d(std));
      return {
        target_columns: names,
        target_mean: mean.map((v) => +v.toPrecision(6)),
        target_std: std.map((v) => +v.toPrecision(6)),
        target_rows: rows,
      };
    },
    loss(batch) {
      return tf.mean(errors(batch).mse) as tf.Scalar;
    },
    async metrics(batch) {
      const [r2, rmse] = tf.tidy(() => {
        const { mse, variance } = errors(batch);
        // Training-batch figures; the held-out R² per group is in egomotion.e2e.test.ts.
        return [tf.sub(1, tf.div(mse, tf.maximum(variance, 1e-12))), tf.sqrt(mse)];
      });
      const [r2v, rmsev] = [(await r2.data()) as Float32Array, (await rmse.data()) as Float32Array];
      tf.dispose([r2, rmse]);
      return {
        r2: Array.from(r2v).map((v) => +v.toFixed(4)),
        rmse_standardised: Array.from(rmsev).map((v) => +v.toPrecision(4)),
      };
    },
  };
}

export const egomotionObjective: Objective = {
  name: 'egomotion',
  description:
    "self-motion from consecutive frame pairs: the head's heading and rotation from motion.npy, standardised (Mineault et al. 2021)",
  needs: (c) => ({ clipLength: c.clip ?? 2, eyes: 'left', labels: false, motion: true }),
  create({ config, rng, motionColumns }) {
    if ((config.clip ?? 2) < 2) {
      throw new DatadietError(
        'CONFIG_INVALID',
        `clip ${config.clip}: egomotion needs clips of at least 2 frames`,
        { hint: 'use clips of 2 frames or more', field: { config: 'train', path: 'clip' } },
      );
    }
    return createEgomotion(config, rng, motionColumns);
  },
};
