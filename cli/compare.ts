import type { Argv } from 'yargs';
import { compareModels } from '../evaluation/index.ts';
import { evalDataOptions, evalOptions, type EvalDataArgs } from './evaluate.ts';

export interface CompareArgs extends EvalDataArgs {
  models: string;
  names?: string | undefined;
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

export function compareCommand(y: Argv) {
  return evalDataOptions(y)
    .option('models', {
      type: 'string',
      demandOption: true,
      describe:
        'comma-separated run folders, checkpoint folders, .onnx files, baseline JSON descriptors or model URLs',
    })
    .option('names', {
      type: 'string',
      describe:
        'comma-separated names, one per model; repeat a name for runs that differ only in their training seed to pool them (mean ± interval across seeds)',
    })
    .example(
      '$0 compare --models runs/sfa,runs/supervised,baselines/mobilenet.json --data data/shortcut-correlated --decorrelated data/shortcut-decorrelated --out cmp',
      '',
    )
    .example(
      '$0 compare --models runs/sfa-s0,runs/sfa-s1,runs/sfa-s2,runs/sup-s0,runs/sup-s1,runs/sup-s2 --names SFA,SFA,SFA,sup,sup,sup --data data/corr --out cmp',
      'three training seeds per recipe, pooled into one row each',
    );
}

export async function runCompare(args: CompareArgs, log: (line: string) => void): Promise<void> {
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
