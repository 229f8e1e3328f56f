/**
 * Streaming readers for WebDataset shards and whole datasets. A shard is read member by member
 * from disk; only the current sample is ever held in memory.
 */
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { DatadietError } from '../core/index.ts';
import { MANIFEST_FILE, SHARDS_DIR, readJson, type ShardRecord } from './manifest.ts';
import {
  ManifestSchema,
  SampleJsonSchema,
  describeIssue,
  type Manifest,
  type SampleJson,
} from './manifest-schema.ts';
import { decodeNpy, type NdArray } from './npy.ts';
import {
  isS3Url,
  joinLocation,
  openObject,
  openStorage,
  type StorageOptions,
} from './storage/index.ts';

export interface Sample {
  /** e.g. 'seq-00000042' */
  key: string;
  /** Member name after the key ('json', 'left.rgb.npy', …) → bytes, in tar order. */
  members: Map<string, Buffer>;
  /** Path of the shard the sample came from, for error messages. */
  shard: string;
}

const REWRITE_HINT =
  'the shard is truncated or damaged: delete it and rerun `datadiet generate` with the same arguments to rewrite it';

/**
 * WebDataset's rule: the key is the path up to the first '.' of the basename, the rest names the
 * member. Names with no '.' in the basename belong to no sample (WebDataset skips them too).
 */
export function splitMemberName(name: string): { key: string; member: string } | null {
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  if (dot <= slash + 1 || dot === name.length - 1) return null;
  return { key: name.slice(0, dot), member: name.slice(dot + 1) };
}

function corruptShard(path: string, message: string, cause?: unknown): DatadietError {
  return new DatadietError('DATASET_CORRUPT', `${path}: ${message}`, { hint: REWRITE_HINT, cause });
}

const roundUp512 = (n: number) => Math.ceil(n / 512) * 512;

/** Streams the samples of one shard (a path or an s3:// URL), in tar order. */
export async function* readShard(path: string, opts: StorageOptions = {}): AsyncGenerator<Sample> {
  const { stream, size } = await openObject(path, opts);
  yield* readShardStream(stream, size, path);
}

/**
 * Streams the samples of a shard from any byte stream of `fileSize` bytes (a file, an S3 object
 * body); `path` names it in errors. The stream is destroyed when the generator finishes.
 */
export async function* readShardStream(
  source: Readable,
  fileSize: number,
  path: string,
): AsyncGenerator<Sample> {
  const ex = extract();
  source.on('error', (e) => ex.destroy(e));
  source.pipe(ex);

  let current: Sample | null = null;
  // End of the last member's padded data: a complete tar has its two zero blocks after it.
  let dataEnd = 0;
  try {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const header = entry.header as Header & { byteOffset?: number };
      if (typeof header.byteOffset === 'number') {
        dataEnd = header.byteOffset + roundUp512(header.size);
      }
      if (header.type !== 'file' && header.type !== 'contiguous-file') continue;
      const split = splitMemberName(header.name);
      if (split === null) continue;

      if (current !== null && current.key !== split.key) {
        yield current;
        current = null;
      }
      current ??= { key: split.key, members: new Map(), shard: path };
      if (current.members.has(split.member)) {
        throw corruptShard(path, `sample '${split.key}' has member '${split.member}' twice`);
      }
      current.members.set(split.member, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    }
  } catch (e) {
    if (e instanceof DatadietError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('E')) throw e; // an I/O error, not corruption
    throw corruptShard(path, `not a readable tar: ${(e as Error).message}`, e);
  } finally {
    source.destroy();
    ex.destroy();
  }
  // tar-stream accepts a tar cut exactly after a member; the missing end blocks give it away.
  if (fileSize < dataEnd + 1024) {
    throw corruptShard(path, 'truncated (no end-of-archive blocks)');
  }
  if (current !== null) yield current;
}

function missingMember(sample: Sample, name: string): DatadietError {
  const have = [...sample.members.keys()].join(', ');
  return new DatadietError(
    'DATASET_CORRUPT',
    `${sample.shard}: sample '${sample.key}' has no member '${name}' (has: ${have})`,
    { hint: 'check the layer name against the manifest, or regenerate the dataset' },
  );
}

/** The raw bytes of one member, or DATASET_CORRUPT naming the shard, key and member. */
export function sampleMember(sample: Sample, name: string): Buffer {
  const buf = sample.members.get(name);
  if (buf === undefined) throw missingMember(sample, name);
  return buf;
}

/** Parses the sample's 'json' member. */
export function sampleJson<T = unknown>(sample: Sample): T {
  const buf = sampleMember(sample, 'json');
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch (e) {
    throw new DatadietError(
      'DATASET_CORRUPT',
      `${sample.shard}: sample '${sample.key}' member 'json' is not valid JSON`,
      { hint: REWRITE_HINT, cause: e },
    );
  }
}

/**
 * The sample's 'json' member checked against the format (SampleJsonSchema): the summary fields
 * and objects typed, a wrong-typed one DATASET_CORRUPT naming the sample and the field.
 */
export function sampleRecord(sample: Sample): SampleJson {
  const json = sampleJson(sample);
  const parsed = SampleJsonSchema.safeParse(json);
  if (!parsed.success) {
    throw new DatadietError(
      'DATASET_CORRUPT',
      `${sample.shard}: sample '${sample.key}' member 'json': ${describeIssue(parsed.error, json)}`,
      { hint: REWRITE_HINT },
    );
  }
  return json as SampleJson;
}

/** Decodes an .npy member, e.g. sampleArray(s, 'left.rgb.npy'). */
export function sampleArray(sample: Sample, name: string): NdArray {
  const buf = sampleMember(sample, name);
  try {
    return decodeNpy(buf);
  } catch (e) {
    if (e instanceof DatadietError) {
      throw new DatadietError(
        e.code,
        `${sample.shard}: sample '${sample.key}' member '${name}': ${e.message}`,
        { hint: e.hint, cause: e },
      );
    }
    throw e;
  }
}

/** Reads `<dir>/manifest.json` (dir may be s3://…); DATASET_NOT_FOUND when there is no dataset. */
export async function readManifest(dir: string, opts: StorageOptions = {}): Promise<Manifest> {
  try {
    if (isS3Url(dir)) {
      const m = await openStorage(dir, opts).readJson<unknown>(MANIFEST_FILE);
      if (m === null) throw new DatadietError('DATASET_NOT_FOUND', 'no manifest');
      return parseManifest(m, joinLocation(dir, MANIFEST_FILE));
    }
    const st = await stat(dir);
    if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof DatadietError && code === 'DATASET_NOT_FOUND') {
      throw new DatadietError('DATASET_NOT_FOUND', `${dir} has no ${MANIFEST_FILE}`, {
        hint: 'generation has not finished there (when every shard is done, `datadiet manifest URL` assembles it), or it is not a datadiet dataset',
        cause: e,
      });
    }
    if (e instanceof DatadietError) throw e;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new DatadietError('DATASET_NOT_FOUND', `no dataset directory at ${dir}`, {
        hint: 'pass the directory given to `datadiet generate --out`',
        cause: e,
      });
    }
    throw e;
  }
  const path = joinLocation(dir, MANIFEST_FILE);
  let manifest: unknown;
  try {
    manifest = await readJson(path);
  } catch (e) {
    if (e instanceof DatadietError && e.code === 'DATASET_NOT_FOUND') {
      throw new DatadietError('DATASET_NOT_FOUND', `${dir} has no ${MANIFEST_FILE}`, {
        hint: 'generation has not finished there (when every shard is done, `datadiet manifest DIR` assembles it), or it is not a datadiet dataset',
        cause: e,
      });
    }
    throw e;
  }
  return parseManifest(manifest, path);
}

/**
 * The manifest checked against the format's schema (output/manifest-schema.ts), once, for every
 * reader: a field of the wrong type is DATASET_CORRUPT naming it. Shard paths stay inside
 * `<dir>/shards/` (`shards/<name>` from 1.2, a bare `<name>` before).
 */
export function parseManifest(manifest: unknown, path: string): Manifest {
  const parsed = ManifestSchema.safeParse(manifest);
  if (!parsed.success) {
    throw new DatadietError(
      'DATASET_CORRUPT',
      `${path}: ${describeIssue(parsed.error, manifest)}`,
      {
        hint: 'the manifest is damaged; rerun `datadiet generate` with the same arguments',
      },
    );
  }
  // The JSON as written (the schema has no defaults or transforms): key order and fields this
  // version does not know are kept.
  return manifest as Manifest;
}

const SHARD_PREFIX = new RegExp(`^${SHARDS_DIR}/`);

/** A shard's path relative to the dataset root, for both manifest spellings (see parseManifest). */
export function shardRelPath(record: Pick<ShardRecord, 'file'>): string {
  return SHARD_PREFIX.test(record.file) ? record.file : `${SHARDS_DIR}/${record.file}`;
}

/** Path of a shard listed in a dataset's manifest. */
export function shardPath(dir: string, record: Pick<ShardRecord, 'file'>): string {
  return joinLocation(dir, shardRelPath(record));
}

/**
 * Streams every sample of a dataset, shard by shard in manifest order. `shards` selects shards by
 * their `index` field (e.g. one pod's share).
 */
export async function* readDataset(
  dir: string,
  opts: { shards?: number[] } & StorageOptions = {},
): AsyncGenerator<Sample> {
  const manifest = await readManifest(dir, opts);
  let records = manifest.shards;
  if (opts.shards !== undefined) {
    const wanted = new Set(opts.shards);
    records = records.filter((r) => wanted.has(r.index));
    const have = new Set(records.map((r) => r.index));
    const absent = opts.shards.filter((i) => !have.has(i));
    if (absent.length > 0) {
      throw new DatadietError(
        'DATASET_NOT_FOUND',
        `${dir}: shard index ${absent.join(', ')} not in the manifest (it lists ${manifest.shards.length} shards)`,
        { hint: 'pick shard indices listed in manifest.json' },
      );
    }
  }
  for (const record of records) yield* readShard(shardPath(dir, record), opts);
}
