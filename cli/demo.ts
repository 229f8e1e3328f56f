import type { GlMode } from '../generator/index.ts';
import { BACKEND_NAMES } from '../training/index.ts';
import {
  DemoOptionsSchema,
  runDemo,
  type DemoOptionsInput,
  type DemoProgress,
} from '../demo/index.ts';
import { defineCommand, fieldsFromArgs, type ArgsOf, type FlagTable } from './flags.ts';
import { createProgress, type Progress } from './progress.ts';

const DEFAULTS = DemoOptionsSchema.parse({ out: '.' });

/**
 * Where a pipeline command (demo, study) renders and trains: the same four flags for both, each
 * setting the same-named field of the command's options (`target`).
 */
export const machineFlags = <T extends string>(target: T) =>
  ({
    backend: {
      type: 'string',
      describe: `training backend: ${BACKEND_NAMES.join('|')} (default auto)`,
      field: `${target}.backend`,
    },
    workers: {
      type: 'number',
      describe: 'browsers rendering in parallel (default 1)',
      field: `${target}.workers`,
    },
    browser: {
      type: 'string',
      describe: 'Chromium/Chrome executable (default: found automatically)',
      field: `${target}.browser`,
    },
    gl: {
      type: 'string',
      describe: 'WebGL backend: auto|swiftshader|egl|vulkan (default $DATADIET_GL or auto)',
      field: `${target}.gl`,
    },
  }) as const satisfies FlagTable;

const DEMO_FLAGS = {
  out: {
    type: 'string',
    demandOption: true,
    describe: 'demo folder: data/, runs/, report/, demo.json; rerun to resume',
    field: 'demo.out',
  },
  size: {
    type: 'number',
    describe: `frame side in pixels for every dataset and model (default ${DEFAULTS.size})`,
    field: 'demo.size',
  },
  sequences: {
    type: 'number',
    describe: `sequences in the diet and in each evaluation split (default ${DEFAULTS.sequences})`,
    field: 'demo.sequences',
  },
  steps: {
    type: 'number',
    describe: `training steps of each of the three runs (default ${DEFAULTS.steps}; PredNet trains twice as many)`,
    field: 'demo.steps',
  },
  seed: {
    type: 'number',
    describe: 'seeds every dataset and run (default 0)',
    field: 'demo.seed',
  },
  ...machineFlags('demo'),
  stream: {
    type: 'boolean',
    describe:
      'render the training diet into each run while it trains (no diet on disk; evaluation splits are still generated)',
    field: 'demo.stream',
  },
} as const satisfies FlagTable;

/** One bar per stage: a new stage name stops the previous bar and starts the next. */
export function stageBars() {
  let current: { stage: string; bar: Progress } | null = null;
  return {
    update(p: DemoProgress) {
      if (current?.stage !== p.stage) {
        current?.bar.stop();
        current =
          p.total > 0
            ? { stage: p.stage, bar: createProgress({ total: p.total, unit: p.unit }) }
            : null;
        if (!current) return;
      }
      current.bar.update(p.done, p.detail ?? p.stage);
    },
    stop() {
      current?.bar.stop();
      current = null;
    },
  };
}

async function runDemoCommand(
  args: ArgsOf<typeof DEMO_FLAGS>,
  log: (line: string) => void,
): Promise<void> {
  const bars = stageBars();
  const result = await (async () => {
    try {
      return await runDemo(
        {
          // The table names only DemoOptionsSchema fields (flags.test.ts); runDemo validates them.
          ...(fieldsFromArgs(DEMO_FLAGS, args, 'demo') as DemoOptionsInput),
          gl: (args.gl ?? (process.env.DATADIET_GL || undefined)) as GlMode | undefined,
        },
        {
          log: (l) => {
            bars.stop();
            log(l);
          },
          onProgress: (p) => bars.update(p),
          onStage: (s, i, n) => {
            bars.stop();
            log(
              `  ${s.status === 'reused' ? 'reused' : 'done'} in ${s.seconds.toFixed(1)} s (cpu ${s.cpu_seconds.toFixed(1)} s) (${i}/${n}): ${s.output}`,
            );
          },
        },
      );
    } finally {
      bars.stop();
    }
  })();
  const { record, summary } = result;
  const ran = record.stages.filter((s) => s.status === 'ran').length;
  log('');
  log(summary.table);
  log('');
  log(
    `datadiet demo: ${record.stages.length} stages (${ran} ran, ${record.stages.length - ran} reused) in ${record.total_seconds.toFixed(1)} s; seed ${record.seed}; backend ${record.backend?.name ?? '?'}`,
  );
  log(`report: ${summary.reportPath}`);
  log(`record: ${result.recordPath}`);
}

export const demoCommand = defineCommand({
  command: 'demo',
  describe: 'the whole pipeline small: generate, train SFA/PredNet/supervised, compare',
  flags: DEMO_FLAGS,
  targets: { demo: DemoOptionsSchema },
  examples: [
    ['$0 demo --out out/demo', 'the whole pipeline in a few minutes on a laptop CPU'],
    [
      '$0 demo --out out/demo-gpu --size 64 --sequences 512 --steps 2000 --backend tensorflow',
      'bigger, on a GPU',
    ],
  ],
  run: runDemoCommand,
});
