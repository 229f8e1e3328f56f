import type { GlMode } from '../generator/index.ts';
import {
  runStudy,
  SCALES,
  SCALE_NAMES,
  StudyOptionsSchema,
  type StudyOptionsInput,
} from '../study/index.ts';
import { machineFlags, stageBars } from './demo.ts';
import { defineCommand, fieldsFromArgs, type ArgsOf, type FlagTable } from './flags.ts';

const DEFAULTS = StudyOptionsSchema.parse({ out: '.' });
const scales = SCALE_NAMES.map(
  (s) =>
    `${s} (${SCALES[s].size}², diet ${SCALES[s].diet}, eval ${SCALES[s].evaluation}, ${SCALES[s].steps} steps)`,
).join('; ');

const STUDY_FLAGS = {
  out: {
    type: 'string',
    demandOption: true,
    describe:
      'study folder: data/, runs/, report/, figures/, results.md, study.json; rerun to resume',
    field: 'study.out',
  },
  scale: {
    type: 'string',
    describe: `sizes: ${scales} (default ${DEFAULTS.scale})`,
    field: 'study.scale',
    hint: `pass --scale ${SCALE_NAMES.join('|')}`,
  },
  diet: {
    type: 'string',
    describe: `preset of the training diet (default ${DEFAULTS.diet}; \`datadiet presets\`)`,
    field: 'study.diet',
    hint: 'pass a preset name (`datadiet presets` lists them), e.g. --diet shortcut-correlated',
  },
  seeds: {
    type: 'number',
    describe: `training seeds per objective (default ${DEFAULTS.seeds})`,
    field: 'study.seeds',
  },
  seed: {
    type: 'number',
    describe: 'seeds the datasets; run k trains with seed+k (default 0)',
    field: 'study.seed',
  },
  steps: {
    type: 'number',
    describe: "override the scale's steps per trained run",
    field: 'study.steps',
  },
  antialias: {
    type: 'boolean',
    describe:
      'blur-pool in the shared encoder of sfa, sfa-linear, supervised and egomotion (train --antialias)',
    field: 'study.antialias',
  },
  ...machineFlags('study'),
} as const satisfies FlagTable;

async function runStudyCommand(
  args: ArgsOf<typeof STUDY_FLAGS>,
  log: (line: string) => void,
): Promise<void> {
  const bars = stageBars();
  const result = await (async () => {
    try {
      return await runStudy(
        {
          // The table names only StudyOptionsSchema fields (flags.test.ts); runStudy validates them.
          ...(fieldsFromArgs(STUDY_FLAGS, args, 'study') as StudyOptionsInput),
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

export const studyCommand = defineCommand({
  command: 'study',
  describe:
    'the experiment: several seeds of every objective on a diet, compared with intervals; results.md',
  flags: STUDY_FLAGS,
  targets: { study: StudyOptionsSchema },
  examples: [
    ['$0 study --out out/study', 'the default study: ≈40 min on two CPU cores'],
    ['$0 study --out out/study-gpu --scale gpu --backend tensorflow', 'bigger, on a GPU'],
  ],
  run: runStudyCommand,
});
