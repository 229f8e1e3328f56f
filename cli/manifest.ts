import { mergeManifest } from '../generator/index.ts';
import { defineCommand, type ArgsOf, type FlagTable } from './flags.ts';
import { S3_ENDPOINT_FLAG, storageOptions } from './s3-flags.ts';

const MANIFEST_FLAGS = {
  location: {
    type: 'string',
    positional: true,
    demandOption: true,
    describe: 'dataset directory or s3://bucket/prefix (the --out of `generate`)',
  },
  merge: {
    type: 'boolean',
    default: true,
    describe: 'assemble manifest.json from the per-shard sidecars (the only mode)',
  },
  's3-endpoint': S3_ENDPOINT_FLAG,
} as const satisfies FlagTable;

async function runManifest(
  args: ArgsOf<typeof MANIFEST_FLAGS>,
  log: (line: string) => void,
): Promise<void> {
  const r = await mergeManifest(args.location, storageOptions(args));
  log(
    `manifest: ${r.manifest}: ${r.shards} shards, ${r.sequences} sequences (${(r.bytes / 1e6).toFixed(1)} MB)`,
  );
}

export const manifestCommand = defineCommand({
  command: 'manifest <location>',
  describe: 'assemble manifest.json from per-shard sidecars',
  flags: MANIFEST_FLAGS,
  targets: {},
  examples: [
    ['$0 manifest data/orbit', 'after all Job pods finish: write manifest.json from shards/*.json'],
  ],
  run: runManifest,
});
