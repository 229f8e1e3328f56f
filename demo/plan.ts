/**
 * What `datadiet demo` makes, as plain data: four datasets from presets (a training diet and three
 * evaluation splits), three training runs on the diet, and one comparison. Everything is a pure
 * function of the options, so a rerun with the same flags plans the same work and resumes it.
 */
import { GL_MODES } from '../generator/index.ts';
import { join } from 'node:path';
import { z } from 'zod';
import { DatadietError, Rng } from '../core/index.ts';
import type { SpecInput } from '../scenes/index.ts';
import type { TrainConfigInput } from '../training/index.ts';

export const DemoOptionsSchema = z.strictObject({
  out: z.string().min(1),
  /** Side of every rendered frame (and so of training and evaluation). */
  size: z.number().int().min(16).max(1024).default(32),
  /** Sequences in the diet and in each evaluation split. */
  sequences: z.number().int().min(8).max(1_000_000).default(128),
  /** Optimisation steps of every run. */
  steps: z.number().int().min(1).max(10_000_000).default(200),
  seed: z.number().int().min(0).max(0xffffffff).default(0),
  backend: z.string().min(1).default('auto'),
  /** Browsers rendering in parallel. */
  workers: z.number().int().min(1).max(64).default(1),
  browser: z.string().min(1).optional(),
  /** WebGL backend for every dataset (`--gl`; generator/gl.ts). */
  gl: z.enum(GL_MODES).default('auto'),
  /**
   * Render the diet into each run while it trains (`--stream`) instead of generating it first:
   * nothing of it is written, every run sees new sequences. Evaluation splits stay on disk.
   */
  stream: z.boolean().default(false),
});
export type DemoOptionsInput = z.input<typeof DemoOptionsSchema>;
export type DemoOptions = z.infer<typeof DemoOptionsSchema>;

export type DatasetRole = 'diet' | 'probe' | 'decorrelated' | 'cue-conflict';

export interface DatasetPlan {
  name: DatasetRole;
  preset: string;
  /** Why the demo needs it (printed and recorded in demo.json). */
  purpose: string;
  dir: string;
  /** Merged over the preset by `resolveSpec`, like CLI flags. */
  overrides: SpecInput;
  /** Streamed into the runs (`--stream`), never generated: `dir` stays empty. */
  streamed?: boolean;
}

export interface RunPlan {
  name: string;
  objective: 'sfa' | 'prednet' | 'supervised';
  dir: string;
  config: TrainConfigInput;
}

export interface DemoPlan {
  options: DemoOptions;
  datasets: DatasetPlan[];
  runs: RunPlan[];
  reportDir: string;
}

/** Frames per diet sequence: PredNet's clips are 8 frames long. */
export const DIET_FRAMES = 8;
/**
 * Frame rate of every dataset: 4 fps gives 2.5× the presets' motion per frame (10 fps), which a
 * next-frame predictor needs to have anything to beat copying the last frame with at 32²
 * (measured 3 Dec 2026, PredNet 200 steps, held-out MSE ÷ copy-last: 1.39× at 10 fps, 0.98× at 4).
 */
export const DIET_FPS = 4;
/**
 * Frames per probe sequence: evaluation reads the middle one; PredNet's next-frame test, all (8,
 * so the t = 1 prediction from a single frame is a seventh of its score, not a third).
 */
export const PROBE_FRAMES = 8;

/**
 * A dataset seed derived from the demo seed and the dataset's role, so the diet and the probe
 * split (same preset) never share scenes, and `--seed` moves every dataset at once.
 */
export const datasetSeed = (seed: number, role: DatasetRole) =>
  new Rng(seed, 'demo/dataset').fork(role).streamSeed;

/** Validates the options; the first problem becomes one error naming the field (the CLI's flag). */
export function parseDemoOptions(input: DemoOptionsInput): DemoOptions {
  const parsed = DemoOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? 'out');
  // No hint: the message says what is wrong; the CLI adds which flag to fix.
  throw new DatadietError('CONFIG_INVALID', `${field}: ${issue.message}`, {
    field: { config: 'demo', path: field },
  });
}

export interface DatasetsInput {
  out: string;
  size: number;
  /** Sequences in the diet. */
  dietSequences: number;
  /** Sequences in the probe and decorrelated splits. */
  evalSequences: number;
  /** Sequences in the cue-conflict split (default: evalSequences). */
  cueSequences?: number | undefined;
  seed: number;
  /** Preset of the diet and of the probe split drawn from the same distribution. */
  dietPreset?: string | undefined;
  /** Merged into every dataset's spec (e.g. the study's camera framing). */
  extra?: SpecInput | undefined;
  /** The diet is streamed into the runs (`--stream`), not generated. */
  stream?: boolean | undefined;
}

/**
 * The four datasets both `datadiet demo` and `datadiet study` need: the diet, a probe split from
 * the same distribution, the decorrelated split and the cue-conflict split, seeded per role.
 */
export function planDatasets(o: DatasetsInput): DatasetPlan[] {
  const diet = o.dietPreset ?? 'shortcut-correlated';
  const frame = { width: o.size, height: o.size };
  // Signature textures everywhere: texture is a category cue in training and in the probe, so
  // the cue-conflict split can tell a shape-biased model from a texture-biased one.
  const textured = { texture: 'category' } as const;
  const extra = o.extra ?? {};
  const split = (role: DatasetRole, frames: number, sequences: number): SpecInput => ({
    ...extra,
    ...frame,
    seed: datasetSeed(o.seed, role),
    sequences,
    frames,
    fps: DIET_FPS,
    // Several shards so a killed run keeps most of its work.
    sequences_per_shard: Math.max(8, Math.ceil(sequences / 4)),
  });
  const objects = { ...(extra.objects ?? {}), ...textured };
  return [
    {
      name: 'diet',
      preset: diet,
      purpose: `training diet (${diet}): ${DIET_FRAMES}-frame stereo videos`,
      dir: join(o.out, 'data', 'diet'),
      overrides: { ...split('diet', DIET_FRAMES, o.dietSequences), objects },
      ...(o.stream ? { streamed: true } : {}),
    },
    {
      name: 'probe',
      preset: diet,
      purpose: 'labelled probe split with diagnostic-part maps (same distribution as the diet)',
      dir: join(o.out, 'data', 'probe'),
      overrides: { ...split('probe', PROBE_FRAMES, o.evalSequences), objects },
    },
    {
      name: 'decorrelated',
      preset: 'shortcut-decorrelated',
      purpose: 'backgrounds independent of category: the shortcut-reliance test',
      dir: join(o.out, 'data', 'decorrelated'),
      overrides: { ...split('decorrelated', PROBE_FRAMES, o.evalSequences), objects },
    },
    {
      name: 'cue-conflict',
      preset: 'cue-conflict',
      purpose: "one category's shape wearing another's texture: the shape-bias test",
      dir: join(o.out, 'data', 'cue-conflict'),
      overrides: {
        ...split('cue-conflict', 1, o.cueSequences ?? o.evalSequences),
        ...(extra.objects ? { objects: { ...extra.objects } } : {}),
      },
    },
  ];
}

/**
 * PredNet trains twice `--steps`: a pixel predictor needs more steps to pass copying the last
 * frame (measured 3 Dec 2026 at 32², 4 fps, held out: 1.01× copy-last after 200 steps, 0.91× after
 * 400; issue 19's PyTorch peer agreed), while the encoders' figures settle within 200.
 */
export const stepFactor = (objective: string) => (objective === 'prednet' ? 2 : 1);

export function planDemo(input: DemoOptionsInput): DemoPlan {
  const options = parseDemoOptions(input);
  const { out, size, sequences, seed } = options;
  const datasets = planDatasets({
    out,
    size,
    dietSequences: sequences,
    evalSequences: sequences,
    seed,
    stream: options.stream,
  });
  // Every objective at its defaults: the demo compares objectives, not tuning.
  const runs: RunPlan[] = (['sfa', 'prednet', 'supervised'] as const).map((objective) => ({
    name: objective,
    objective,
    dir: join(out, 'runs', objective),
    config: {
      objective,
      steps: options.steps * stepFactor(objective),
      seed,
      checkpointEvery: Math.max(1, Math.min(100, options.steps)),
      // A stream renders the whole shuffle buffer before the first step; on disk the buffer is
      // bounded by the diet's clips anyway. `--sequences` clips keep a stream's start comparable.
      ...(options.stream ? { shuffleBuffer: Math.min(1024, sequences) } : {}),
    },
  }));
  return { options, datasets, runs, reportDir: join(out, 'report') };
}
