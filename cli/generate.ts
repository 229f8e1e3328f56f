import { readManifest, joinLocation, LAYER_NAMES, type LayerName } from '../output/index.ts';
import { S3_ENDPOINT_FLAG, storageOptions } from './s3-flags.ts';
import { DatadietError } from '../core/index.ts';
import {
  generateDataset,
  type GenerateOptions,
  GL_MODES,
  type GlMode,
} from '../generator/index.ts';
import { resolveSpec, SpecSchema, type SpecInput } from '../scenes/index.ts';
import { defineCommand, fieldsFromArgs, type ArgsOf, type FlagTable } from './flags.ts';
import { createProgress } from './progress.ts';

/** The options of `generateDataset()` that flags set directly (the compiler checks the names). */
const GENERATE_FIELDS = [
  'out',
  'workers',
  'shardIndex',
  'numShards',
  'browserPath',
  'gl',
  'storage',
] as const satisfies readonly (keyof GenerateOptions)[];

/** Every `datadiet generate` flag: `spec.*` fields override the preset/spec file's. */
export const GENERATE_FLAGS = {
  's3-endpoint': S3_ENDPOINT_FLAG,
  preset: {
    type: 'string',
    describe: 'built-in spec to start from (`datadiet presets`)',
  },
  spec: {
    type: 'string',
    describe: 'JSON spec file; its fields override --preset (default preset: default)',
  },
  out: {
    type: 'string',
    demandOption: true,
    describe: 'output folder, or s3://bucket/prefix',
    field: 'generate.out',
  },
  sequences: { type: 'number', describe: 'number of sequences', field: 'spec.sequences' },
  frames: { type: 'number', describe: 'frames per sequence (T)', field: 'spec.frames' },
  width: { type: 'number', describe: 'image width in pixels', field: 'spec.width' },
  height: { type: 'number', describe: 'image height in pixels', field: 'spec.height' },
  fps: { type: 'number', describe: 'frames per second (sets motion per frame)', field: 'spec.fps' },
  seed: { type: 'number', describe: 'dataset seed', field: 'spec.seed' },
  'sequences-per-shard': {
    type: 'number',
    describe: 'sequences per tar shard',
    field: 'spec.sequences_per_shard',
  },
  layers: {
    type: 'string',
    describe: `comma-separated: ${LAYER_NAMES.join(',')}`,
    field: 'spec.layers',
    parse: parseLayers,
  },
  baseline: {
    type: 'number',
    describe: 'stereo baseline in metres (default 0.064)',
    field: 'spec.camera.baseline_m',
  },
  workers: {
    type: 'number',
    default: 1,
    describe: 'browsers rendering in parallel',
    field: 'generate.workers',
  },
  'shard-index': {
    type: 'number',
    describe:
      'make only shards i ≡ this mod --num-shards (default $JOB_COMPLETION_INDEX, $SLURM_ARRAY_TASK_ID − $SLURM_ARRAY_TASK_MIN, or 0)',
    field: 'generate.shardIndex',
  },
  'num-shards': {
    type: 'number',
    describe: 'number of cooperating processes (default $SLURM_ARRAY_TASK_COUNT or 1)',
    field: 'generate.numShards',
  },
  browser: {
    type: 'string',
    describe: 'Chromium/Chrome executable (default: found automatically)',
    field: 'generate.browserPath',
  },
  gl: {
    type: 'string',
    describe: `WebGL backend: ${GL_MODES.join('|')} (default $DATADIET_GL or auto: a GPU when there is one, else the fastest software renderer here); checked against the page's renderer`,
    field: 'generate.gl',
  },
} as const satisfies FlagTable;

type GenerateArgs = ArgsOf<typeof GENERATE_FLAGS>;

function parseLayers(text: string): LayerName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(LAYER_NAMES as string[]).includes(n)) {
      throw new DatadietError('LAYER_UNKNOWN', `--layers: unknown layer "${n}"`, {
        hint: `use some of ${LAYER_NAMES.join(',')}`,
      });
    }
  }
  return names as LayerName[];
}

function parseGl(text: string | undefined): GlMode {
  const gl = text ?? (process.env.DATADIET_GL || 'auto');
  if (!(GL_MODES as readonly string[]).includes(gl)) {
    throw new DatadietError('CLI_USAGE', `--gl: unknown renderer "${gl}"`, {
      hint: `use one of ${GL_MODES.join(', ')} (or unset DATADIET_GL)`,
    });
  }
  return gl as GlMode;
}

const envNumber = (env: NodeJS.ProcessEnv, name: string): number | undefined => {
  const v = env[name];
  return v === undefined || v === '' ? undefined : Number(v);
};

/**
 * --shard-index/--num-shards defaults: a Kubernetes Indexed Job's JOB_COMPLETION_INDEX, or a
 * Slurm job array's task id (from SLURM_ARRAY_TASK_MIN, so `--array=1-8` works) and task count.
 */
export function shardDefaults(env: NodeJS.ProcessEnv): { shardIndex?: number; numShards?: number } {
  const k8s = envNumber(env, 'JOB_COMPLETION_INDEX');
  if (k8s !== undefined) return { shardIndex: k8s };
  const task = envNumber(env, 'SLURM_ARRAY_TASK_ID');
  if (task === undefined) return {};
  const min = envNumber(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
  const count = envNumber(env, 'SLURM_ARRAY_TASK_COUNT');
  return { shardIndex: task - min, ...(count === undefined ? {} : { numShards: count }) };
}

export function shardArgs(
  args: { shardIndex?: number | undefined; numShards?: number | undefined },
  env: NodeJS.ProcessEnv = process.env,
): { shardIndex: number; numShards: number } {
  const defaults = shardDefaults(env);
  const shardIndex = args.shardIndex ?? defaults.shardIndex ?? 0;
  const numShards = args.numShards ?? defaults.numShards ?? 1;
  if (!Number.isInteger(numShards) || numShards < 1) {
    throw new DatadietError('CLI_USAGE', `--num-shards must be an integer ≥ 1, got ${numShards}`, {
      hint: 'pass --num-shards N',
    });
  }
  if (!Number.isInteger(shardIndex) || shardIndex < 0 || shardIndex >= numShards) {
    throw new DatadietError(
      'CLI_USAGE',
      `--shard-index must be an integer in 0..${numShards - 1}, got ${shardIndex}`,
      {
        hint: 'pass --shard-index i with i < --num-shards (or set JOB_COMPLETION_INDEX; under Slurm, run as a job array: sbatch --array=0-N)',
      },
    );
  }
  return { shardIndex, numShards };
}

async function runGenerate(args: GenerateArgs, log: (line: string) => void): Promise<void> {
  if (!Number.isInteger(args.workers) || args.workers < 1) {
    throw new DatadietError('CLI_USAGE', `--workers must be an integer ≥ 1, got ${args.workers}`, {
      hint: 'pass --workers 1 or more',
    });
  }
  // The table names only SpecSchema fields (flags.test.ts); resolveSpec validates the values.
  const overrides = fieldsFromArgs(GENERATE_FLAGS, args, 'spec') as SpecInput;
  const spec = await resolveSpec({ preset: args.preset, specFile: args.spec, overrides });
  const { shardIndex, numShards } = shardArgs(args);
  const gl = parseGl(args.gl);

  let progress: ReturnType<typeof createProgress> | undefined;
  let done = 0;
  const result = await generateDataset({
    spec,
    out: args.out,
    workers: args.workers,
    shardIndex,
    numShards,
    browserPath: args.browser,
    gl,
    storage: storageOptions(args),
    onEvent: (e) => {
      if (e.type === 'plan') {
        log(
          `datadiet generate: "${spec.name}", seed ${spec.seed}, ${spec.sequences} sequences × ${spec.frames} frames at ${spec.width}×${spec.height}, layers ${spec.layers.join(',')}`,
        );
        log(
          `  ${e.mine} of ${e.shardsTotal} shards are this process's (${shardIndex}/${numShards}); ${e.skipped} already complete; browser ${e.browser}`,
        );
        log(
          `  renderer: ${e.renderer.renderer} (--gl ${e.renderer.gl}${e.renderer.software ? ', software' : ''}; ${e.rendererNote})`,
        );
        if (e.sequencesToRender > 0)
          progress = createProgress({ total: e.sequencesToRender, unit: 'seq' });
      } else if (e.type === 'sequence') {
        progress?.update(++done);
      } else if (e.type === 'retry') {
        log(`  shard ${e.shard}: ${e.reason}; restarting the browser (attempt ${e.attempt})`);
      }
    },
  });
  progress?.stop();
  const pairs = result.sequencesRendered * spec.frames;
  log(
    `done in ${result.seconds.toFixed(1)} s: ${result.shardsWritten} shards written, ${result.shardsSkipped} skipped` +
      (pairs ? `, ${pairs} stereo frames (${(pairs / result.seconds).toFixed(1)} pairs/s)` : ''),
  );
  if (result.manifest) {
    const m = await readManifest(args.out, storageOptions(args));
    const mb = (Number(m.total_bytes) / 1e6).toFixed(1);
    log(`dataset: ${result.manifest}`);
    log(
      `  holds ${spec.sequences} stereo sequences × ${spec.frames} frames at ${spec.width}×${spec.height} in ${m.shards.length} shards (${mb} MB)`,
    );
    log(
      `  per eye: ${spec.layers.map((l) => `${l}.npy`).join(', ')}; per sequence: .json with K, poses, objects`,
    );
    log(
      `  shards: ${joinLocation(args.out, 'shards')}/   previews: ${joinLocation(args.out, 'previews')}/`,
    );
  } else {
    log(
      `  ${result.missingShards.length} shards still missing (made by other processes); the manifest is written when the last one completes (or run \`datadiet manifest ${args.out}\` after all have finished)`,
    );
  }
}

export const generateCommand = defineCommand({
  command: 'generate',
  describe: 'render a stereo dataset into WebDataset shards',
  flags: GENERATE_FLAGS,
  targets: { spec: SpecSchema, generate: GENERATE_FIELDS },
  examples: [
    ['$0 generate --out data/pilot', 'the small built-in default'],
    ['$0 generate --preset objects-orbit --out data/orbit --workers 2', ''],
  ],
  run: runGenerate,
});
