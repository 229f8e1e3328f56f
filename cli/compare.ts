import { compareModels, type CompareOptions } from '../evaluation/index.ts';
import { EVAL_DATA_FLAGS, EVALUATE_FIELDS, evalOptions } from './evaluate.ts';
import { defineCommand, type ArgsOf, type FlagTable } from './flags.ts';

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

const COMPARE_FIELDS = ['models', 'names'] as const satisfies readonly (keyof CompareOptions)[];

const COMPARE_FLAGS = {
  ...EVAL_DATA_FLAGS,
  models: {
    type: 'string',
    demandOption: true,
    describe:
      'comma-separated run folders, checkpoint folders, .onnx files, baseline JSON descriptors or model URLs',
    // Each model is evaluated in turn: evaluate's errors about its model name this flag.
    field: ['compare.models', 'evaluate.model'],
  },
  names: {
    type: 'string',
    describe:
      'comma-separated names, one per model; repeat a name for runs that differ only in their training seed to pool them (mean ± interval across seeds)',
    field: 'compare.names',
  },
} as const satisfies FlagTable;

async function runCompare(
  args: ArgsOf<typeof COMPARE_FLAGS>,
  log: (line: string) => void,
): Promise<void> {
  const { options, stop } = evalOptions(args);
  try {
    const r = await compareModels({
      ...options,
      models: list(args.models),
      names: args.names === undefined ? undefined : list(args.names),
      out: args.out,
    });
    stop();
    for (const l of r.table.split('\n')) log(l);
    log(`report: ${r.reportPath}`);
    log(
      `table: ${args.out}/table.csv, ${args.out}/table.json; per model: ${args.out}/models/<name>/metrics.json`,
    );
  } finally {
    stop();
  }
}

export const compareCommand = defineCommand({
  command: 'compare',
  describe: 'evaluate several models: table (terminal, CSV, JSON) and an HTML report',
  flags: COMPARE_FLAGS,
  targets: { evaluate: EVALUATE_FIELDS, compare: COMPARE_FIELDS },
  examples: [
    [
      '$0 compare --models runs/sfa,runs/supervised,baselines/mobilenet.json --data data/shortcut-correlated --decorrelated data/shortcut-decorrelated --out cmp',
      '',
    ],
    [
      '$0 compare --models runs/sfa-s0,runs/sfa-s1,runs/sfa-s2,runs/sup-s0,runs/sup-s1,runs/sup-s2 --names SFA,SFA,SFA,sup,sup,sup --data data/corr --out cmp',
      'three training seeds per recipe, pooled into one row each',
    ],
  ],
  run: runCompare,
});
