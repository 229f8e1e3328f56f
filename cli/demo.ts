import type { GlMode } from '../generator/index.ts';
import type { Argv } from 'yargs';
import { BACKEND_NAMES } from '../training/index.ts';
import { DemoOptionsSchema, runDemo, type DemoProgress } from '../demo/index.ts';
import { createProgress, type Progress } from './progress.ts';

export interface DemoArgs {
  out: string;
  size?: number | undefined;
  sequences?: number | undefined;
  steps?: number | undefined;
  seed?: number | undefined;
  backend?: string | undefined;
  workers?: number | undefined;
  browser?: string | undefined;
  gl?: string | undefined;
  stream?: boolean | undefined;
}

const DEFAULTS = DemoOptionsSchema.parse({ out: '.' });

/** Where a pipeline command (demo, study) renders and trains: the same four flags for both. */
export const MACHINE_FLAGS = {
  backend: {
    type: 'string',
    describe: `training backend: ${BACKEND_NAMES.join('|')} (default auto)`,
  },
  workers: { type: 'number', describe: 'browsers rendering in parallel (default 1)' },
  browser: {
    type: 'string',
    describe: 'Chromium/Chrome executable (default: found automatically)',
  },
  gl: {
    type: 'string',
    describe: 'WebGL backend: auto|swiftshader|egl|vulkan (default $DATADIET_GL or auto)',
  },
} as const;

export function demoCommand(y: Argv) {
  return y
    .option('out', {
      type: 'string',
      demandOption: true,
      describe: 'demo folder: data/, runs/, report/, demo.json; rerun to resume',
    })
    .option('size', {
      type: 'number',
      describe: `frame side in pixels for every dataset and model (default ${DEFAULTS.size})`,
    })
    .option('sequences', {
      type: 'number',
      describe: `sequences in the diet and in each evaluation split (default ${DEFAULTS.sequences})`,
    })
    .option('steps', {
      type: 'number',
      describe: `training steps of each of the three runs (default ${DEFAULTS.steps}; PredNet trains twice as many)`,
    })
    .option('seed', { type: 'number', describe: 'seeds every dataset and run (default 0)' })
    .options(MACHINE_FLAGS)
    .option('stream', {
      type: 'boolean',
      describe:
        'render the training diet into each run while it trains (no diet on disk; evaluation splits are still generated)',
    })
    .example('$0 demo --out out/demo', 'the whole pipeline in a few minutes on a laptop CPU')
    .example(
      '$0 demo --out out/demo-gpu --size 64 --sequences 512 --steps 2000 --backend tensorflow',
      'bigger, on a GPU',
    );
}

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

export async function runDemoCommand(args: DemoArgs, log: (line: string) => void): Promise<void> {
  const bars = stageBars();
  const result = await (async () => {
    try {
      return await runDemo(
        {
          out: args.out,
          size: args.size,
          sequences: args.sequences,
          steps: args.steps,
          seed: args.seed,
          backend: args.backend,
          workers: args.workers,
          browser: args.browser,
          gl: (args.gl ?? (process.env.DATADIET_GL || undefined)) as GlMode | undefined,
          stream: args.stream,
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
