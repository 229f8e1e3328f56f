import type { Argv } from 'yargs';
import { mergeManifest } from '../generator/index.ts';
import { s3Options, storageOptions } from './s3-flags.ts';

export interface ManifestArgs {
  location: string;
  s3Endpoint?: string | undefined;
}

export function manifestCommand(y: Argv) {
  return s3Options(
    y
      .positional('location', {
        type: 'string',
        demandOption: true,
        describe: 'dataset directory or s3://bucket/prefix (the --out of `generate`)',
      })
      .option('merge', {
        type: 'boolean',
        default: true,
        describe: 'assemble manifest.json from the per-shard sidecars (the only mode)',
      }),
  ).example(
    '$0 manifest data/orbit',
    'after all Job pods finish: write manifest.json from shards/*.json',
  );
}

export async function runManifest(args: ManifestArgs, log: (line: string) => void): Promise<void> {
  const r = await mergeManifest(args.location, storageOptions(args));
  log(
    `manifest: ${r.manifest}: ${r.shards} shards, ${r.sequences} sequences (${(r.bytes / 1e6).toFixed(1)} MB)`,
  );
}
