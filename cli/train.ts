import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { DatadietError } from '../core/index.ts';
import { resolveSpec, MOTION_GROUPS } from '../scenes/index.ts';
import { BACKEND_NAMES, OBJECTIVES, train, type TrainConfigInput } from '../training/index.ts';
import { createProgress } from './progress.ts';

export interface TrainArgs {
  data?: string | undefined;
  stream?: boolean | undefined;
  preset?: string | undefined;
  spec?: string | undefined;
  frames?: number | undefined;
  fps?: number | undefined;
  renderSize?: number | undefined;
  dataSeed?: number | undefined;
  renderWorkers?: number | undefined;
  replay?: number | undefined;
  cache?: string | undefined;
  browser?: string | undefined;
  skipCorrupt?: boolean | undefined;
  shuffleBuffer?: number | undefined;
  out: string;
  objective: string;
  steps: number;
  batch?: number | undefined;
  lr?: number | undefined;
  seed?: number | undefined;
  backend: string;
  clip?: number | undefined;
  size?: number | undefined;
  width?: number | undefined;
  depth?: number | undefined;
  embedding?: number | undefined;
  kernel?: number | undefined;
  stride?: number | undefined;
  binocular?: boolean | undefined;
  prednetChannels?: string | undefined;
  prednetLoss?: string | undefined;
  motionTargets?: string | undefined;
  heldOutEvery?: number | undefined;
  logEvery?: number | undefined;
  checkpointEvery?: number | undefined;
}

export function trainCommand(y: Argv) {
  return y
    .option('data', {
      type: 'string',
      describe: 'dataset folder (`datadiet generate --out`); or --stream',
    })
    .option('stream', {
      type: 'boolean',
      describe:
        'render sequences while training (no dataset on disk; endless, each sequence seen once): --preset/--spec and the flags below say what',
    })
    .option('preset', { type: 'string', describe: 'stream: built-in spec (`datadiet presets`)' })
    .option('spec', { type: 'string', describe: 'stream: JSON spec file (overrides --preset)' })
    .option('frames', { type: 'number', describe: 'stream: frames per sequence' })
    .option('fps', { type: 'number', describe: 'stream: frames per second' })
    .option('render-size', { type: 'number', describe: 'stream: render width = height, pixels' })
    .option('data-seed', { type: 'number', describe: "stream: the spec's seed (scenes)" })
    .option('render-workers', {
      type: 'number',
      describe: 'stream: browsers rendering in parallel (default: half the cores, at least 1)',
    })
    .option('replay', {
      type: 'number',
      describe: 'stream: use each rendered sequence N times (default 1)',
    })
    .option('cache', {
      type: 'string',
      describe:
        'stream: also keep the streamed sequences in DIR as an ordinary dataset (shards + manifest; a rerun continues it)',
    })
    .option('browser', { type: 'string', describe: 'stream: Chromium to render with' })
    .option('shuffle-buffer', {
      type: 'number',
      describe: 'clips held for shuffling (default 1024; a stream renders this many clips first)',
    })
    .option('skip-corrupt', {
      type: 'boolean',
      describe:
        'leave shards that fail their sha256 and samples that do not parse out (listed in run.json) instead of stopping',
    })
    .option('out', {
      type: 'string',
      demandOption: true,
      describe: 'run folder: checkpoints, metrics.jsonl, loss.svg; rerun to resume',
    })
    .option('objective', {
      type: 'string',
      demandOption: true,
      describe: OBJECTIVES.map((o) => `${o.name}: ${o.description}`).join('; '),
    })
    .option('steps', {
      type: 'number',
      demandOption: true,
      describe: 'total optimisation steps (a resumed run continues to this count)',
    })
    .option('batch', { type: 'number', describe: 'clips per batch (default 8)' })
    .option('lr', { type: 'number', describe: 'Adam learning rate (default 0.001; prednet 0.01)' })
    .option('seed', { type: 'number', describe: 'initialisation and data-order seed (default 0)' })
    .option('backend', {
      type: 'string',
      default: 'auto',
      describe: `${BACKEND_NAMES.join('|')}; auto prints what it chose and why`,
    })
    .option('clip', {
      type: 'number',
      describe: 'frames per clip (default: sfa 4, prednet 8, supervised 1, egomotion 2)',
    })
    .option('size', {
      type: 'number',
      describe: 'resize frames to size×size (default: the dataset size)',
    })
    .option('width', {
      type: 'number',
      describe: 'encoder: channels of the first conv (doubling per layer)',
    })
    .option('depth', { type: 'number', describe: 'encoder: strided conv layers (default 3)' })
    .option('kernel', { type: 'number', describe: 'encoder: conv kernel side (default 3)' })
    .option('stride', {
      type: 'number',
      describe: 'encoder: conv stride, at most --kernel (default 2)',
    })
    .option('embedding', {
      type: 'number',
      describe: 'encoder: embedding size = SFA outputs (default 32)',
    })
    .option('binocular', {
      type: 'boolean',
      describe: 'sfa: left/right of one instant are adjacent too',
    })
    .option('prednet-channels', {
      type: 'string',
      describe: 'prednet: A/R channels per layer, e.g. 3,16,32 (default 3,16)',
    })
    .option('prednet-loss', { type: 'string', describe: 'prednet: L0 or L_all (default L0)' })
    .option('motion-targets', {
      type: 'string',
      describe: `egomotion: comma-separated motion.npy column groups to predict, of ${MOTION_GROUPS.join(', ')} (default head_vel,head_angvel)`,
    })
    .option('held-out-every', {
      type: 'number',
      describe: 'leave every k-th sequence out of training',
    })
    .option('log-every', {
      type: 'number',
      describe: 'steps between objective metrics in metrics.jsonl (default 10)',
    })
    .option('checkpoint-every', {
      type: 'number',
      describe: 'steps between checkpoints (default 100)',
    })
    .example('$0 train --data data/orbit --objective sfa --out runs/sfa --steps 2000', '')
    .example(
      '$0 train --data data/orbit --objective prednet --out runs/pn --steps 500 --size 32',
      '',
    )
    .example('$0 train --data data/walk --objective egomotion --out runs/ego --steps 1000', '')
    .example(
      '$0 train --stream --preset walk --render-size 64 --objective sfa --out runs/sfa-stream --steps 5000',
      '',
    );
}

const defined = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** CLI flags → the train config (zod checks every value in `train`). */
export function trainConfigFromArgs(a: TrainArgs): TrainConfigInput {
  const channels = a.prednetChannels?.split(',').map((s) => Number(s.trim()));
  return {
    objective: a.objective,
    steps: a.steps,
    ...defined({
      batch: a.batch,
      lr: a.lr,
      seed: a.seed,
      clip: a.clip,
      size: a.size,
      heldOutEvery: a.heldOutEvery,
      logEvery: a.logEvery,
      checkpointEvery: a.checkpointEvery,
      shuffleBuffer: a.shuffleBuffer,
    }),
    encoder: defined({
      width: a.width,
      depth: a.depth,
      embedding: a.embedding,
      kernel: a.kernel,
      stride: a.stride,
    }),
    sfa: defined({ binocular: a.binocular }),
    prednet: defined({ channels, layerLoss: a.prednetLoss as 'L0' | 'L_all' | undefined }),
    egomotion: defined({
      targets: a.motionTargets?.split(',').map((s) => s.trim()) as
        NonNullable<TrainConfigInput['egomotion']>['targets'] | undefined,
    }),
  };
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
  const size = intFlag('--render-size', args.renderSize, 8);
  const spec = await resolveSpec({
    preset: args.preset,
    specFile: args.spec,
    overrides: {
      frames: args.frames,
      fps: args.fps,
      seed: args.dataSeed,
      ...(size !== undefined ? { width: size, height: size } : {}),
    },
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

export async function runTrain(args: TrainArgs, log: (line: string) => void): Promise<void> {
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
