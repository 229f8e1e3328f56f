/**
 * `metrics.json`, the evaluation's output record (a public contract: versioned, zod-described so
 * readers in TypeScript validate it and Python readers have the field list in one place).
 */
import { z } from 'zod';

export const EVAL_FORMAT = 'datadiet-eval/1.0';
export const METRICS_FILE = 'metrics.json';

const num = z.number();
const maybe = <T extends z.ZodType>(s: T) => s.nullable();

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
    own_head_classes: z.number().int().optional(),
    /** Which logits saliency differentiates: the fitted probe, or the model's own head. */
    saliency_head: z.enum(['probe', 'own']),
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
    alpha: num,
    fit: z.number().int(),
    held_out: z.number().int(),
    top1: num,
    chance: num,
    own_head_top1: maybe(num),
  }),
  alignment: z.object({
    reference: z.string(),
    images: z.number().int(),
    skipped_no_part: z.number().int(),
    spearman: num,
    dice: num,
    iou: num,
  }),
  shortcut: maybe(
    z.object({
      correlated_top1: num,
      decorrelated_top1: num,
      drop: num,
      decorrelated_samples: z.number().int(),
    }),
  ),
  shape_bias: maybe(
    z.object({
      cue_conflict_images: z.number().int(),
      shape: z.number().int(),
      texture: z.number().int(),
      neither: z.number().int(),
      value: maybe(num),
    }),
  ),
  prediction: maybe(
    z.object({
      clips: z.number().int(),
      frames_per_clip: z.number().int(),
      mse: num,
      copy_last_mse: num,
      ssim: num,
      copy_last_ssim: num,
    }),
  ),
  clickme: maybe(
    z.object({
      images: z.number().int(),
      folds: z.number().int(),
      head: z.string(),
      top1: maybe(num),
      spearman: num,
      spearman_normalised: num,
      ceiling: num,
      dice: num,
      iou: num,
      note: z.string(),
    }),
  ),
  /** Figures, relative to the folder holding metrics.json. */
  files: z.object({
    saliency: z.array(z.string()),
    prediction: z.array(z.string()),
  }),
});
export type EvalMetrics = z.infer<typeof EvalMetricsSchema>;
