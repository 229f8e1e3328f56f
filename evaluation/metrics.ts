/**
 * `metrics.json`, the evaluation's output record (a public contract: versioned, zod-described so
 * readers in TypeScript validate it and Python readers have the field list in one place).
 */
import { z } from 'zod';

// 2.0: one probe readout for every model (own head apart), α by inner CV, 95 % intervals,
// slowness, shape-bias coverage, ClickMe skips, per-step prediction errors.
export const EVAL_FORMAT = 'datadiet-eval/2.0';
export const METRICS_FILE = 'metrics.json';

const num = z.number();
const maybe = <T extends z.ZodType>(s: T) => s.nullable();
/** A seeded 95 % bootstrap interval [lo, hi]; null when the figure has too few units. */
const ci = z.tuple([num, num]).nullable();
const partScores = {
  spearman: num,
  spearman_ci: ci,
  dice: num,
  dice_ci: ci,
  iou: num,
  iou_ci: ci,
};

export const EvalMetricsSchema = z.object({
  format: z.literal(EVAL_FORMAT),
  seed: z.number().int(),
  inputs: z.object({
    model: z.string(),
    data: z.string(),
    decorrelated: maybe(z.string()),
    cue_conflict: maybe(z.string()),
    clickme: maybe(z.string()),
    max_samples: maybe(z.number().int()),
    smoothgrad: maybe(z.object({ n: z.number().int(), sigma: num })),
    /** sha256 of the model weights' identity, the datasets and the options: the resume key. */
    fingerprint: z.string(),
  }),
  versions: z.object({ datadiet: z.string(), tfjs: z.string(), backend: z.string() }),
  model: z.object({
    name: z.string(),
    kind: z.enum(['run', 'baseline']),
    path: z.string(),
    objective: z.string().optional(),
    step: z.number().int().optional(),
    format: z.enum(['layers', 'graph', 'onnx']).optional(),
    input_size: z.tuple([z.number().int(), z.number().int()]),
    /** What an external model was fed. */
    preprocessing: z
      .object({
        input_size: z.tuple([z.number().int(), z.number().int()]),
        range: z.union([z.literal(1), z.literal(255)]),
        mean: z.tuple([z.number(), z.number(), z.number()]),
        std: z.tuple([z.number(), z.number(), z.number()]),
        channel_order: z.enum(['rgb', 'bgr']),
      })
      .optional(),
    features: z.string(),
    feature_dim: z.number().int(),
    /** How a feature map becomes the probe's vector (global average, flatten, none). */
    pooling: z.string(),
    own_head_classes: z.number().int().optional(),
    /** Every main figure comes from the seeded ridge probe; the own head only in `own_head`. */
    readout: z.literal('probe'),
  }),
  data: z.object({
    samples: z.number().int(),
    height: z.number().int(),
    width: z.number().int(),
    categories: z.array(z.string()),
    classes_present: z.array(z.number().int()),
  }),
  probe: z.object({
    method: z.string(),
    /** Ridge strength chosen by inner cross-validation on the fit split. */
    alpha: num,
    alpha_cv_folds: z.number().int(),
    alpha_cv: z.array(z.object({ alpha: num, accuracy: num })),
    fit: z.number().int(),
    held_out: z.number().int(),
    top1: num,
    top1_ci: ci,
    chance: num,
  }),
  /** The model's own classifier over the data's categories, apart from the main figures. */
  own_head: maybe(
    z.object({
      classes: z.number().int(),
      top1: num,
      top1_ci: ci,
      images: z.number().int(),
      ...partScores,
    }),
  ),
  alignment: z.object({
    reference: z.string(),
    images: z.number().int(),
    skipped_no_part: z.number().int(),
    skipped_constant_saliency: z.number().int(),
    ...partScores,
  }),
  shortcut: maybe(
    z.object({
      correlated_top1: num,
      decorrelated_top1: num,
      decorrelated_top1_ci: ci,
      drop: num,
      drop_ci: ci,
      decorrelated_samples: z.number().int(),
      /** Held-out top-1 of a probe fitted on the decorrelated split itself (absent before 2.1). */
      decorrelated_probe_top1: num.optional(),
      decorrelated_probe_top1_ci: ci.optional(),
      decorrelated_probe_held_out: z.number().int().optional(),
    }),
  ),
  shape_bias: maybe(
    z.object({
      /** Which set the probe for shape bias was fitted on ('decorrelated' when given). */
      probe_fit: z.enum(['decorrelated', 'data']),
      cue_conflict_images: z.number().int(),
      shape: z.number().int(),
      texture: z.number().int(),
      neither: z.number().int(),
      value: maybe(num),
      value_ci: ci,
      /** (shape + texture) / images: how many decisions the value rests on. */
      coverage: num,
      coverage_ci: ci,
      /** The same with the --data probe, when the main value used the decorrelated one. */
      data_probe: maybe(
        z.object({
          shape: z.number().int(),
          texture: z.number().int(),
          neither: z.number().int(),
          value: maybe(num),
          value_ci: ci,
          coverage: num,
        }),
      ),
    }),
  ),
  /** Slowness of the probe features on --data's sequences (none of which the model trained on). */
  slowness: maybe(
    z.object({
      sequences: z.number().int(),
      frames: z.number().int(),
      /** Mean over outputs of ⟨(Δf)²⟩ of features standardised by these sequences' statistics. */
      delta: num,
      delta_ci: ci,
      /** Null for outputs wider than 256 (the d² sums would not fit). */
      mean_abs_correlation: maybe(num),
      mean_abs_correlation_ci: ci,
      /** Mean raw std of the outputs (no epsilon: a shrunk output shows here). */
      feature_std: num,
      feature_std_ci: ci,
      constant_outputs: z.number().int(),
    }),
  ),
  prediction: maybe(
    z.object({
      clips: z.number().int(),
      frames_per_clip: z.number().int(),
      /** Means over t ≥ 1 and clips; intervals over clips. */
      mse: num,
      mse_ci: ci,
      copy_last_mse: num,
      copy_last_mse_ci: ci,
      ssim: num,
      ssim_ci: ci,
      copy_last_ssim: num,
      copy_last_ssim_ci: ci,
      /** Entry t − 1 is frame t's error; t = 1 is predicted from a single frame. */
      mse_per_t: z.array(num),
      copy_last_mse_per_t: z.array(num),
      ssim_window: z.string(),
    }),
  ),
  clickme: maybe(
    z.object({
      images: z.number().int(),
      scored: z.number().int(),
      skipped: z.object({
        class_missing_from_fit_folds: z.number().int(),
        constant_saliency: z.number().int(),
      }),
      folds: z.number().int(),
      head: z.string(),
      top1: maybe(num),
      top1_ci: ci,
      spearman_normalised: num,
      spearman_normalised_ci: ci,
      ceiling: num,
      ...partScores,
      note: z.string(),
      /** An ImageNet head's own logits (Harmonization's readout), apart from the probe. */
      own_head: maybe(
        z.object({
          scored: z.number().int(),
          skipped_constant_saliency: z.number().int(),
          spearman_normalised: num,
          spearman_normalised_ci: ci,
          ...partScores,
        }),
      ),
    }),
  ),
  /** Figures, relative to the folder holding metrics.json. */
  files: z.object({
    saliency: z.array(z.string()),
    prediction: z.array(z.string()),
  }),
});
export type EvalMetrics = z.infer<typeof EvalMetricsSchema>;
