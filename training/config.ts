/** The training run's configuration: one zod schema, the single source of its type and defaults. */
import { z } from 'zod';
import { MOTION_GROUPS } from '../scenes/index.ts';
import { EncoderConfigSchema } from './encoder.ts';

export const SfaConfigSchema = z.strictObject({
  /** Left and right views of one instant also count as adjacent. */
  binocular: z.boolean().default(false),
  /**
   * Weight of the batch's own correlation in the whitening; the rest is the running estimate
   * over past batches, which keeps the whitening full-rank at any batch size (objectives/sfa.ts).
   */
  mix: z.number().min(0).max(1).default(0.5),
  /** Momentum of the running statistics (≈ 1/(1 − momentum) batches remembered). */
  momentum: z.number().min(0).max(0.9999).default(0.99),
  /**
   * Training batches after the last step whose statistics, under the final weights, replace the
   * running estimate (0: keep the running estimate, which lags behind the moving network).
   */
  calibrationBatches: z.number().int().min(0).default(64),
  /** Weight of mean (var(z_d) − 1)² on the whitened batch: rules out collapsed outputs. */
  variance: z.number().min(0).default(1),
});

export const PrednetConfigSchema = z.strictObject({
  /** Channels of A (and R) per layer; the first is the image's 3. */
  channels: z.array(z.number().int().min(1)).min(1).default([3, 16]),
  /** 'L0': only layer 0's error; 'L_all': [1, 0.1, 0.1, …] (Lotter et al.). */
  layerLoss: z.enum(['L0', 'L_all']).default('L0'),
  kernel: z.number().int().min(1).max(7).default(3),
});

export const EgomotionConfigSchema = z.strictObject({
  /**
   * Target groups to predict (each x, y, z): `heading` (the direction of head_vel) or any
   * column group of motion.npy. Default after Mineault et al.: heading and rotation.
   */
  targets: z
    .array(z.enum(['heading', ...MOTION_GROUPS]))
    .min(1)
    .refine((t) => new Set(t).size === t.length, { message: 'targets must not repeat' })
    .default(['heading', 'head_angvel']),
});

export const TrainConfigSchema = z.strictObject({
  objective: z.string().min(1),
  steps: z.number().int().min(0),
  batch: z.number().int().min(1).default(8),
  /** Adam's learning rate; default per objective (prednet 1e-2, the others 1e-3), resolved by train. */
  lr: z.number().positive().optional(),
  seed: z.number().int().min(0).default(0),
  /** Frames per clip; default per objective (sfa 4, prednet 8, supervised 1). */
  clip: z.number().int().min(1).optional(),
  /** Resize frames to size×size; default: the dataset's size. */
  size: z.number().int().min(4).optional(),
  encoder: EncoderConfigSchema.prefault({}),
  sfa: SfaConfigSchema.prefault({}),
  prednet: PrednetConfigSchema.prefault({}),
  egomotion: EgomotionConfigSchema.prefault({}),
  /** Clips held for shuffling; batches need clips of many sequences for SFA's covariance. */
  shuffleBuffer: z.number().int().min(1).default(1024),
  /** Hold out every k-th sequence from training (0: train on all). */
  heldOutEvery: z.number().int().min(0).default(0),
  logEvery: z.number().int().min(1).default(10),
  checkpointEvery: z.number().int().min(1).default(100),
});
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;
export type TrainConfig = z.infer<typeof TrainConfigSchema>;
