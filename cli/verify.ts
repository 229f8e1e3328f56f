import { DatadietError } from '../core/index.ts';
import { verifyDataset } from '../output/index.ts';
import { defineCommand, type ArgsOf, type FlagTable } from './flags.ts';
import { S3_ENDPOINT_FLAG, storageOptions } from './s3-flags.ts';

const VERIFY_FLAGS = {
  location: {
    type: 'string',
    positional: true,
    demandOption: true,
    describe: 'dataset directory or s3://bucket/prefix',
  },
  's3-endpoint': S3_ENDPOINT_FLAG,
} as const satisfies FlagTable;

/** Problem lines printed before the rest are only counted (the report keeps them all). */
const MAX_PRINTED = 50;

async function runVerify(
  args: ArgsOf<typeof VERIFY_FLAGS>,
  log: (line: string) => void,
): Promise<void> {
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

export const verifyCommand = defineCommand({
  command: 'verify <location>',
  describe: 'check a dataset against its manifest',
  flags: VERIFY_FLAGS,
  targets: {},
  examples: [['$0 verify data/orbit', 'check every shard, sample and array against manifest.json']],
  run: runVerify,
});
