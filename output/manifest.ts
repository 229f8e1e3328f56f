/**
 * `manifest.json` and per-shard records, and the small JSON IO both use. Writes are atomic
 * (temp file, fsync, rename) so a reader never sees half a manifest.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { DatadietError } from '../core/errors.ts';

export const MANIFEST_FILE = 'manifest.json';
export const SHARDS_DIR = 'shards';

/** Shard file name for an index, e.g. 3 → 'shard-000003.tar'. */
export function shardFileName(index: number): string {
  return `shard-${String(index).padStart(6, '0')}.tar`;
}

export interface ShardRecord {
  /** Basename; the file lives in `<dataset>/shards/`. */
  file: string;
  samples: number;
  bytes: number;
  sha256: string;
  /** Shard index within the dataset (its content depends only on spec, seed and this). */
  index: number;
  /** Sequence number of the shard's first sample. */
  first_sequence: number;
}

// Loose on purpose for now: the generator owns the remaining fields.
export type Manifest = Record<string, unknown> & { format_version: string; shards: ShardRecord[] };

/** Deterministic 2-space JSON with a trailing newline; NaN/Infinity would silently become null. */
export function stableJson(value: unknown): string {
  const text = JSON.stringify(
    value,
    (key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw new RangeError(`json: non-finite number ${v} at key '${key}'`);
      }
      return v;
    },
    2,
  );
  if (text === undefined) throw new TypeError('json: value is not serialisable');
  return `${text}\n`;
}

// Pods on one shared volume often all run as PID 1: temp names get a random part too, so two
// processes never write the same temp file.
export const uniqueSuffix = () => `${process.pid}-${randomBytes(4).toString('hex')}`;

/** Writes `<path>.tmp-<pid>-<random>`, fsyncs it and renames it over `path`. */
export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.tmp-${uniqueSuffix()}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Atomic, deterministic JSON (see `stableJson`). */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, stableJson(value));
}

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
