import type { GlMode } from '../generator/index.ts';
import type { Argv } from 'yargs';
import { runStudy, SCALES, SCALE_NAMES, StudyOptionsSchema } from '../study/index.ts';
import { MACHINE_FLAGS, stageBars } from './demo.ts';

export interface StudyArgs {
  out: string;
  scale?: string | undefined;
  diet?: string | undefined;
  seeds?: number | undefined;
  seed?: number | undefined;
  steps?: number | undefined;
  backend?: string | undefined;
  workers?: number | undefined;
  browser?: string | undefined;
  gl?: string | undefined;
}

const DEFAULTS = StudyOptionsSchema.parse({ out: '.' });
const scales = SCALE_NAMES.map(
  (s) =>
    `${s} (${SCALES[s].size}², diet ${SCALES[s].diet}, eval ${SCALES[s].evaluation}, ${SCALES[s].steps} steps)`,
).join('; ');

export function studyCommand(y: Argv) {
  return y
    .option('out', {
      type: 'string',
      demandOption: true,
      describe:
        'study folder: data/, runs/, report/, figures/, results.md, study.json; rerun to resume',
    })
    .option('scale', { type: 'string', describe: `sizes: ${scales} (default ${DEFAULTS.scale})` })
    .option('diet', {
      type: 'string',
      describe: `preset of the training diet (default ${DEFAULTS.diet}; \`datadiet presets\`)`,
    })
    .option('seeds', {
      type: 'number',
      describe: `training seeds per objective (default ${DEFAULTS.seeds})`,
    })
    .option('seed', {
      type: 'number',
      describe: 'seeds the datasets; run k trains with seed+k (default 0)',
    })
    .option('steps', { type: 'number', describe: "override the scale's steps per trained run" })
    .options(MACHINE_FLAGS)
    .example('$0 study --out out/study', 'the default study: ≈1 h on two CPU cores')
    .example('$0 study --out out/study-gpu --scale gpu --backend tensorflow', 'bigger, on a GPU');
}

export async function runStudyCommand(args: StudyArgs, log: (line: string) => void): Promise<void> {
  const bars = stageBars();
  const result = await (async () => {
    try {
      return await runStudy(
        {
          out: args.out,
          scale: args.scale as never,
          diet: args.diet,
          seeds: args.seeds,
          seed: args.seed,
          steps: args.steps,
          backend: args.backend,
          workers: args.workers,
          browser: args.browser,
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
              `  ${s.status === 'reused' ? 'reused' : 'done'} in ${s.seconds.toFixed(1)} s (${i}/${n}): ${s.output}`,
            );
          },
        },
      );
    } finally {
      bars.stop();
    }
  })();
  const { record } = result;
  const ran = record.stages.filter((s) => s.status === 'ran').length;
  log('');
  log(result.table);
  log('');
  log(
    `datadiet study: ${record.stages.length} stages (${ran} ran, ${record.stages.length - ran} reused) in ${record.total_seconds.toFixed(1)} s; scale ${record.options.scale}; backend ${record.backend.name}`,
  );
  log(`results: ${record.results}`);
  log(`report: ${record.report}`);
}
