/** What every training objective provides; the registry lives in objectives/index.ts. */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/index.ts';
import type { TrainConfig } from './config.ts';
import type { Batch } from './loader.ts';
import type { Params } from './params.ts';

export interface ModelShape {
  height: number;
  width: number;
  numClasses: number;
}

export interface ObjectiveModel {
  params: Params;
  /** The scalar to minimise on one batch (called inside optimizer.minimize). */
  loss(batch: Batch): tf.Scalar;
  /** The encoder's features of frames [N, H, W, 3] in [0, 1] (encoder-based objectives). */
  encode?(x: tf.Tensor4D): { pooled: tf.Tensor2D; embedding: tf.Tensor2D };
  /** Next-frame predictions (PredNet): for clips [B, T, H, W, 3], T tensors [B, H, W, 3]; entry t predicts frame t from frames < t. */
  predictFrames?(frames: tf.Tensor5D): tf.Tensor4D[];
  /** Recurrent models (PredNet): each layer's state (R) after the clip [B, T, H, W, 3]. */
  recurrentStates?(frames: tf.Tensor5D): tf.Tensor4D[];
  /** Closed-form objectives fit here, once, instead of taking gradient steps. */
  fit?(ctx: {
    data: string;
    heldOutEvery: number;
    size: [number, number] | undefined;
  }): Promise<Record<string, number | number[]>>;
  /**
   * Runs once before the first step of a fresh run, on training batches (egomotion measures its
   * targets' mean and standard deviation); what it returns is written to the run's
   * `prepared.json`, and anything it sets must live in `params` so a resumed run has it.
   */
  prepare?(next: () => Promise<Batch | undefined>): Promise<Record<string, unknown>>;
  /**
   * Runs once after the last training step, before the final checkpoint, on further training
   * batches with the weights frozen (SFA re-estimates its whitening statistics for the final
   * weights: running averages lag behind a network that is still moving). `next` gives the next
   * training batch, or undefined when the data ran out; the caller disposes nothing.
   */
  calibrate?(next: () => Promise<Batch | undefined>): Promise<Record<string, number>>;
  /**
   * Extra figures for the metrics log (no gradients), e.g. SFA's Δ-value per output. Async: the
   * webgpu backend in Node cannot read tensors synchronously.
   */
  metrics?(batch: Batch): Promise<Record<string, number | number[]>>;
}

export interface LoaderNeeds {
  clipLength: number;
  eyes: 'left' | 'both';
  labels: boolean;
  /** Self-motion rows (`motion.npy`) per clip; only egomotion reads them. */
  motion?: boolean;
}

export interface Objective {
  name: string;
  description: string;
  /** Adam's learning rate when the user gives none (default 1e-3). */
  defaultLr?: number;
  needs(config: TrainConfig): LoaderNeeds;
  /** Throws MODEL_DATA_MISMATCH when the data cannot feed this model. */
  create(ctx: {
    config: TrainConfig;
    shape: ModelShape;
    rng: Rng;
    /**
     * The data's motion.npy column names (manifest.json `motion.columns`) when training; absent
     * when a model is rebuilt from a checkpoint (egomotion then assumes the columns it writes).
     */
    motionColumns?: readonly string[] | undefined;
  }): ObjectiveModel;
}
