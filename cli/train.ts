import type { Argv } from 'yargs';
import { BACKEND_NAMES, OBJECTIVES, train, type TrainConfigInput } from '../training/index.ts';
import { MOTION_GROUPS } from '../scenes/motion.ts';
import { createProgress } from './progress.ts';

export interface TrainArgs {
  data: string;
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
      demandOption: true,
      describe: 'dataset folder (`datadiet generate --out`)',
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
    .option('lr', { type: 'number', describe: 'Adam learning rate (default 0.001)' })
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
    .example('$0 train --data data/walk --objective egomotion --out runs/ego --steps 1000', '');
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
    }),
    encoder: defined({ width: a.width, depth: a.depth, embedding: a.embedding }),
    sfa: defined({ binocular: a.binocular }),
    prednet: defined({ channels, layerLoss: a.prednetLoss as 'L0' | 'L_all' | undefined }),
    egomotion: defined({
      targets: a.motionTargets?.split(',').map((s) => s.trim()) as
        NonNullable<TrainConfigInput['egomotion']>['targets'] | undefined,
    }),
  };
}

export async function runTrain(args: TrainArgs, log: (line: string) => void): Promise<void> {
  let progress: ReturnType<typeof createProgress> | undefined;
  const result = await train({
    data: args.data,
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
  log(`checkpoint: ${result.checkpoint ?? '(none)'}`);
  log(`metrics: ${args.out}/metrics.jsonl   loss curve: ${args.out}/loss.svg`);
}
