/**
 * `manifest.json` and per-shard records, and the small JSON IO both use. Writes are atomic
 * (temp file, fsync, rename) so a reader never sees half a manifest.
 */
import { readFile } from 'node:fs/promises';
import { DatadietError } from '../core/index.ts';

export const MANIFEST_FILE = 'manifest.json';

/** Shard file name for an index, e.g. 3 → 'shard-000003.tar'. */
export function shardFileName(index: number): string {
  return `shard-${String(index).padStart(6, '0')}.tar`;
}

// The types come from the schema (manifest-schema.ts), the one definition writer and readers share.
export {
  SHARDS_DIR,
  type Manifest,
  type ManifestInput,
  type ShardRecord,
} from './manifest-schema.ts';

// Atomic writing and deterministic JSON live in core/ (every stage writes files); re-exported
// here for the format's readers and writers.
export { stableJson, uniqueSuffix, writeFileAtomic, writeJsonAtomic } from '../core/index.ts';

/** Reads and parses a JSON file: missing → DATASET_NOT_FOUND, unparsable → DATASET_CORRUPT. */
export async function readJson<T = unknown>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatadietError('DATASET_NOT_FOUND', `${path} does not exist`, {
        hint: 'check the path, or generate the dataset first',
        cause: e,
      });
    }
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new DatadietError(
      'DATASET_CORRUPT',
      `${path} is not valid JSON: ${(e as Error).message}`,
      {
        hint: 'the file is damaged or was partly written by another tool; regenerate it',
        cause: e,
      },
    );
  }
}
