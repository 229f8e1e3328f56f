import type { Argv } from 'yargs';
import { DatadietError } from '../core/index.ts';
import { verifyDataset } from '../output/index.ts';
import { s3Options, storageOptions } from './s3-flags.ts';

export interface VerifyArgs {
  location: string;
  s3Endpoint?: string | undefined;
}

/** Problem lines printed before the rest are only counted (the report keeps them all). */
const MAX_PRINTED = 50;

export function verifyCommand(y: Argv) {
  return s3Options(
    y.positional('location', {
      type: 'string',
      demandOption: true,
      describe: 'dataset directory or s3://bucket/prefix',
    }),
  ).example('$0 verify data/orbit', 'check every shard, sample and array against manifest.json');
}

export async function runVerify(args: VerifyArgs, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  let printed = 0;
  const report = await verifyDataset(args.location, {
    ...storageOptions(args),
    onProblem: (p) => {
      if (printed++ < MAX_PRINTED) log(`problem[${p.code}]: ${p.message}`);
    },
  });
  if (printed > MAX_PRINTED) log(`… and ${printed - MAX_PRINTED} more problems`);
  const mb = (report.bytes / 1e6).toFixed(1);
  const what = `${report.shards} shards (${mb} MB), ${report.samples} samples`;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (!report.ok) {
    throw new DatadietError(
      'DATASET_CORRUPT',
      `verify: ${report.problemCount} problem${report.problemCount === 1 ? '' : 's'} in ${args.location} (${what} checked)`,
      {
        hint: 'delete the shards named above (their .tar and .json) and rerun `datadiet generate` with the same arguments to rewrite them',
      },
    );
  }
  log(
    `verify: OK: ${args.location}: ${what}; sizes and sha256 match the manifest, every array decodes with its dtype and shape, cross-layer checks pass (${seconds} s)`,
  );
}
