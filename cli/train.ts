import { availableParallelism } from 'node:os';
import { DatadietError } from '../core/index.ts';
import { resolveSpec, SpecSchema, type SpecInput, MOTION_GROUPS } from '../scenes/index.ts';
import {
  BACKEND_NAMES,
  OBJECTIVES,
  train,
  TrainConfigSchema,
  type TrainConfigInput,
  type TrainOptions,
} from '../training/index.ts';
import { defineCommand, fieldsFromArgs, type ArgsOf, type FlagTable } from './flags.ts';
import { createProgress } from './progress.ts';

const list = (text: string) => text.split(',').map((s) => s.trim());

/** The options of `train()` that flags set directly (the compiler checks the names). */
const RUN_FIELDS = [
  'data',
  'out',
  'backend',
  'skipCorrupt',
] as const satisfies readonly (keyof TrainOptions)[];
/** The stream options that flags set directly. */
const STREAM_FIELDS = [
  'workers',
  'replay',
  'browserPath',
  'cache',
] as const satisfies readonly (keyof NonNullable<TrainOptions['stream']>)[];

/** Every `datadiet train` flag and the field it sets: `train.*` the train config, `spec.*` a stream's spec. */
export const TRAIN_FLAGS = {
  data: {
    type: 'string',
    describe: 'dataset folder (`datadiet generate --out`); or --stream',
    field: 'run.data',
  },
  stream: {
    type: 'boolean',
    describe:
      'render sequences while training (no dataset on disk; endless, each sequence seen once): --preset/--spec and the flags below say what',
  },
  preset: { type: 'string', describe: 'stream: built-in spec (`datadiet presets`)' },
  spec: { type: 'string', describe: 'stream: JSON spec file (overrides --preset)' },
  frames: { type: 'number', describe: 'stream: frames per sequence', field: 'spec.frames' },
  fps: { type: 'number', describe: 'stream: frames per second', field: 'spec.fps' },
  'render-size': {
    type: 'number',
    describe: 'stream: render width = height, pixels',
    field: ['spec.width', 'spec.height'],
  },
  'data-seed': { type: 'number', describe: "stream: the spec's seed (scenes)", field: 'spec.seed' },
  'render-workers': {
    type: 'number',
    describe: 'stream: browsers rendering in parallel (default: half the cores, at least 1)',
    field: 'stream.workers',
  },
  replay: {
    type: 'number',
    describe: 'stream: use each rendered sequence N times (default 1)',
    field: 'stream.replay',
  },
  cache: {
    type: 'string',
    describe:
      'stream: also keep the streamed sequences in DIR as an ordinary dataset (shards + manifest; a rerun continues it)',
    field: 'stream.cache',
  },
  browser: {
    type: 'string',
    describe: 'stream: Chromium to render with',
    field: 'stream.browserPath',
  },
  'shuffle-buffer': {
    type: 'number',
    describe: 'clips held for shuffling (default 1024; a stream renders this many clips first)',
    field: 'train.shuffleBuffer',
  },
  'skip-corrupt': {
    type: 'boolean',
    describe:
      'leave shards that fail their sha256 and samples that do not parse out (listed in run.json) instead of stopping',
    field: 'run.skipCorrupt',
  },
  out: {
    type: 'string',
    demandOption: true,
    describe: 'run folder: checkpoints, metrics.jsonl, loss.svg; rerun to resume',
    field: 'run.out',
  },
  objective: {
    type: 'string',
    demandOption: true,
    describe: OBJECTIVES.map((o) => `${o.name}: ${o.description}`).join('; '),
    field: 'train.objective',
  },
  steps: {
    type: 'number',
    demandOption: true,
    describe: 'total optimisation steps (a resumed run continues to this count)',
    field: 'train.steps',
  },
  batch: { type: 'number', describe: 'clips per batch (default 8)', field: 'train.batch' },
  lr: {
    type: 'number',
    describe: 'Adam learning rate (default 0.001; prednet 0.01)',
    field: 'train.lr',
  },
  seed: {
    type: 'number',
    describe: 'initialisation and data-order seed (default 0)',
    field: 'train.seed',
  },
  backend: {
    type: 'string',
    default: 'auto',
    describe: `${BACKEND_NAMES.join('|')}; auto prints what it chose and why`,
    field: 'run.backend',
  },
  clip: {
    type: 'number',
    describe: 'frames per clip (default: sfa 4, prednet 8, supervised 1, egomotion 2)',
    field: 'train.clip',
    hint: 'use --clip 2 or more (sfa: or --binocular to compare the two eyes)',
  },
  size: {
    type: 'number',
    describe: 'resize frames to size×size (default: the dataset size)',
    field: 'train.size',
  },
  width: {
    type: 'number',
    describe: 'encoder: channels of the first conv (doubling per layer)',
    field: 'train.encoder.width',
  },
  depth: {
    type: 'number',
    describe: 'encoder: strided conv layers (default 3)',
    field: 'train.encoder.depth',
  },
  kernel: {
    type: 'number',
    describe: 'encoder: conv kernel side (default 3)',
    field: 'train.encoder.kernel',
  },
  stride: {
    type: 'number',
    describe: 'encoder: conv stride, at most --kernel (default 2)',
    field: 'train.encoder.stride',
  },
  antialias: {
    type: 'boolean',
    describe:
      'encoder: stride-1 convs followed by a [1,2,1]² blur and stride-2 subsampling (blur-pool) instead of strided convs',
    field: 'train.encoder.antialias',
  },
  embedding: {
    type: 'number',
    describe: 'encoder: embedding size = SFA outputs (default 32)',
    field: 'train.encoder.embedding',
  },
  binocular: {
    type: 'boolean',
    describe: 'sfa: left/right of one instant are adjacent too',
    field: 'train.sfa.binocular',
  },
  'prednet-channels': {
    type: 'string',
    describe: 'prednet: A/R channels per layer, e.g. 3,16,32 (default 3,16)',
    field: 'train.prednet.channels',
    parse: (text: string) => list(text).map(Number),
  },
  'prednet-loss': {
    type: 'string',
    describe: 'prednet: L0 or L_all (default L0)',
    field: 'train.prednet.layerLoss',
  },
  'motion-targets': {
    type: 'string',
    describe: `egomotion: comma-separated motion.npy column groups to predict, of ${MOTION_GROUPS.join(', ')} (default head_vel,head_angvel)`,
    field: 'train.egomotion.targets',
    parse: list,
  },
  'held-out-every': {
    type: 'number',
    describe: 'leave every k-th sequence out of training',
    field: 'train.heldOutEvery',
  },
  'log-every': {
    type: 'number',
    describe: 'steps between objective metrics in metrics.jsonl (default 10)',
    field: 'train.logEvery',
  },
  'checkpoint-every': {
    type: 'number',
    describe: 'steps between checkpoints (default 100)',
    field: 'train.checkpointEvery',
  },
} as const satisfies FlagTable;

type TrainArgs = ArgsOf<typeof TRAIN_FLAGS>;

/** CLI flags → the train config (zod checks every value in `train`). */
export function trainConfigFromArgs(a: TrainArgs): TrainConfigInput {
  // The table names only fields of TrainConfigSchema (flags.test.ts); train() validates the values.
  return fieldsFromArgs(TRAIN_FLAGS, a, 'train') as TrainConfigInput;
}

const intFlag = (flag: string, v: number | undefined, min: number) => {
  if (v !== undefined && !(Number.isInteger(v) && v >= min)) {
    throw new DatadietError('CLI_USAGE', `${flag} must be an integer ≥ ${min}, got ${v}`, {
      hint: `pass ${flag} ${min} or more`,
    });
  }
  return v;
};

/** `--stream`'s render settings, or undefined for training on --data. */
async function streamFromArgs(args: TrainArgs) {
  if ((args.data === undefined) === !args.stream) {
    throw new DatadietError(
      'CLI_USAGE',
      args.stream ? '--data and --stream exclude each other' : 'train needs --data DIR or --stream',
      { hint: 'pass a dataset folder, or --stream with --preset NAME or --spec FILE' },
    );
  }
  if (!args.stream) {
    if (args.cache !== undefined) {
      throw new DatadietError('CLI_USAGE', '--cache keeps the sequences of a --stream', {
        hint: 'add --stream (with --preset or --spec), or drop --cache: --data is on disk already',
      });
    }
    return undefined;
  }
  intFlag('--render-size', args.renderSize, 8);
  const spec = await resolveSpec({
    preset: args.preset,
    specFile: args.spec,
    overrides: fieldsFromArgs(TRAIN_FLAGS, args, 'spec') as SpecInput,
  });
  return {
    spec,
    workers:
      intFlag('--render-workers', args.renderWorkers, 1) ??
      Math.max(1, Math.floor(availableParallelism() / 2)),
    replay: intFlag('--replay', args.replay, 1) ?? 1,
    browserPath: args.browser,
    cache: args.cache,
  };
}

async function runTrain(args: TrainArgs, log: (line: string) => void): Promise<void> {
  let progress: ReturnType<typeof createProgress> | undefined;
  const stream = await streamFromArgs(args);
  if (stream) {
    log(
      `streaming ${stream.spec.name} (${stream.spec.width}×${stream.spec.height}, ${stream.spec.frames} frames, seed ${stream.spec.seed}) from ${stream.workers} render worker(s)${stream.replay > 1 ? `, each sequence used ${stream.replay}×` : ''}${stream.cache ? `; keeping them in ${stream.cache}` : ''}`,
    );
  }
  const result = await train({
    ...(stream ? { stream } : { data: args.data }),
    skipCorrupt: args.skipCorrupt ?? false,
    out: args.out,
    backend: args.backend,
    config: trainConfigFromArgs(args),
    log,
    onStep: (s) => {
      // Counts this invocation's steps, so a resumed run's rate is not inflated.
      progress ??= createProgress({ total: s.totalSteps - s.startStep, unit: 'steps' });
      progress.update(
        s.step - s.startStep,
        `(step ${s.step}/${s.totalSteps}) loss ${s.loss.toPrecision(4)} | ${s.imagesPerSecond.toFixed(1)} img/s`,
      );
    },
  });
  progress?.stop();
  const first = result.losses[0];
  const last = result.losses[result.losses.length - 1];
  if (first && last) {
    log(
      `steps ${result.startStep + 1}–${result.step}: loss ${first.loss.toPrecision(4)} → ${last.loss.toPrecision(4)}`,
    );
  } else {
    log(`nothing to do: ${args.out} is already at step ${result.step} of ${args.steps}`);
  }
  const { shards, samples } = result.skipped;
  if (shards.length + samples.length > 0) {
    log(
      `skipped (--skip-corrupt) ${shards.length} damaged shard(s) and ${samples.length} sample(s); listed in ${args.out}/run.json`,
    );
  }
  log(`checkpoint: ${result.checkpoint ?? '(none)'}`);
  log(`metrics: ${args.out}/metrics.jsonl   loss curve: ${args.out}/loss.svg`);
}

export const trainCommand = defineCommand({
  command: 'train',
  describe: 'train a model (sfa, prednet, supervised, egomotion) on a dataset',
  flags: TRAIN_FLAGS,
  targets: { train: TrainConfigSchema, spec: SpecSchema, run: RUN_FIELDS, stream: STREAM_FIELDS },
  examples: [
    ['$0 train --data data/orbit --objective sfa --out runs/sfa --steps 2000', ''],
    ['$0 train --data data/orbit --objective prednet --out runs/pn --steps 500 --size 32', ''],
    ['$0 train --data data/walk --objective egomotion --out runs/ego --steps 1000', ''],
    [
      '$0 train --stream --preset walk --render-size 64 --objective sfa --out runs/sfa-stream --steps 5000',
      '',
    ],
  ],
  hint: (flag) => `pass a valid ${flag}; \`datadiet train --help\` lists the values`,
  run: runTrain,
});
