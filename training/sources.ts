/**
 * Where the loader's samples come from. Samples carry a global ordinal: on disk it runs on across
 * passes (pass p, sample k of N → p·N + k), in a stream it is the sequence index. The loader's
 * resumable position is (ordinal of a group's first sample, clip index in the group).
 *
 * A dataset on disk trusts nothing it reads: each shard is hashed while it streams and compared
 * with the manifest's sha256 and size before any of its clips reach the shuffle buffer (a shard's
 * clips wait in a quarantine until then), and every member the objective uses is parsed and
 * checked (`toClips` throws DATASET_CORRUPT naming shard and sample).
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { DatadietError } from '../core/index.ts';
import {
  openObject,
  readManifest,
  readShardStream,
  shardPath,
  type Manifest,
  type Sample,
  type ShardRecord,
} from '../output/index.ts';

export type ToClips<C> = (sample: Sample, ordinal: number) => C[];

export interface ClipGroup<C> {
  /** Global ordinal of the group's first sample. */
  first: number;
  clips: C[];
  /** Set on the last group of a pass over a finite dataset. */
  endOfPass?: boolean;
}

/** What was left out with `skipCorrupt`: recorded in the run folder. */
export interface SkipReport {
  shards: string[];
  samples: string[];
}

export interface SampleSource {
  /** For messages: the dataset folder, or 'stream of <spec>'. */
  describe: string;
  /** Samples per pass; undefined for an endless stream. */
  passLength?: number;
  /** Groups of clips from the group holding `from`, in ordinal order; ends after one pass unless `repeat`. */
  groups<C>(from: number, toClips: ToClips<C>): AsyncGenerator<ClipGroup<C>>;
  /** The clips of the samples with these ordinals (rebuilding a resumed shuffle buffer). */
  fetch<C>(ordinals: Set<number>, toClips: ToClips<C>): Promise<Map<number, C[]>>;
  skipped: SkipReport;
  close(): Promise<void>;
}

export interface DiskSourceOptions {
  dir: string;
  repeat: boolean;
  /** Leave damaged shards and samples out (counted in `skipped`) instead of stopping. */
  skipCorrupt?: boolean;
}

const REWRITE =
  'the bytes on disk changed since generation: rerun `datadiet generate` with the same arguments into the folder (it rewrites damaged shards; `datadiet verify` lists them), or pass --skip-corrupt to train without them';

function corrupt(message: string, cause?: unknown) {
  return new DatadietError('DATASET_CORRUPT', message, { hint: REWRITE, cause });
}

interface Span {
  record: ShardRecord;
  /** Ordinal (within a pass) of the shard's first sample. */
  start: number;
}

/**
 * Reads one shard: sha256 and size checked against its record, every sample through `toClips`.
 * Returns null when the shard is damaged and `skip` is set.
 */
async function readVerifiedShard<C>(opts: {
  dir: string;
  span: Span;
  firstOrdinal: number;
  toClips: ToClips<C>;
  skipped: SkipReport;
  skip: boolean;
}): Promise<C[] | null> {
  const { record } = opts.span;
  const path = shardPath(opts.dir, record);
  const fail = (e: DatadietError) => {
    if (!opts.skip) throw e;
    // Listed once, however many passes meet it.
    if (!opts.skipped.shards.includes(e.message)) opts.skipped.shards.push(e.message);
    return null;
  };
  const { stream, size } = await openObject(path);
  if (size !== record.bytes) {
    stream.destroy();
    return fail(
      corrupt(`${path}: ${size} bytes, manifest.json says ${record.bytes} (the shard changed)`),
    );
  }
  const hash = createHash('sha256');
  let hashed = 0;
  const tee = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      hashed += chunk.length;
      cb(null, chunk);
    },
  });
  stream.on('error', (e: Error) => tee.destroy(e));
  stream.pipe(tee);
  const clips: C[] = [];
  const keys: string[] = [];
  try {
    for await (const sample of readShardStream(tee, size, path)) {
      keys.push(sample.key);
      try {
        clips.push(...opts.toClips(sample, opts.firstOrdinal + keys.length - 1));
      } catch (e) {
        if (!(e instanceof DatadietError && e.code === 'DATASET_CORRUPT') || !opts.skip) throw e;
        if (!opts.skipped.samples.includes(e.message)) opts.skipped.samples.push(e.message);
      }
    }
  } catch (e) {
    if (e instanceof DatadietError && e.code === 'DATASET_CORRUPT') return fail(e);
    throw e;
  } finally {
    stream.destroy();
  }
  // The tar reader may stop before the last zero blocks: hash what it left unread.
  let digest: string;
  if (hashed === size) digest = hash.digest('hex');
  else {
    const again = createHash('sha256');
    for await (const c of (await openObject(path)).stream) again.update(c as Buffer);
    digest = again.digest('hex');
  }
  if (digest !== record.sha256) {
    const range = keys.length ? ` (samples ${keys[0]} … ${keys[keys.length - 1]})` : '';
    return fail(
      corrupt(
        `${path}: sha256 ${digest.slice(0, 12)}… does not match manifest.json's ${record.sha256.slice(0, 12)}…; every sample${range} parses, so the change is inside array data; none of it was trained on`,
      ),
    );
  }
  if (keys.length !== record.samples) {
    return fail(
      corrupt(`${path}: holds ${keys.length} samples, manifest.json says ${record.samples}`),
    );
  }
  return clips;
}

/** A generated dataset, read shard by shard through output/'s readers. */
export async function diskSource(opts: DiskSourceOptions): Promise<SampleSource> {
  const manifest: Manifest = await readManifest(opts.dir);
  const spans: Span[] = [];
  let n = 0;
  for (const record of manifest.shards) {
    spans.push({ record, start: n });
    n += record.samples;
  }
  const skipped: SkipReport = { shards: [], samples: [] };
  const read = <C>(span: Span, pass: number, toClips: ToClips<C>, report = skipped) =>
    readVerifiedShard({
      dir: opts.dir,
      span,
      firstOrdinal: pass * n + span.start,
      toClips,
      skipped: report,
      skip: opts.skipCorrupt ?? false,
    });
  return {
    describe: opts.dir,
    passLength: n,
    skipped,
    async *groups<C>(from: number, toClips: ToClips<C>) {
      if (n === 0) {
        yield { first: 0, clips: [], endOfPass: true }; // the loader says what is missing
        return;
      }
      for (let pass = Math.floor(from / n); ; pass++) {
        const within = pass === Math.floor(from / n) ? from - pass * n : 0;
        for (const [i, span] of spans.entries()) {
          if (span.start + span.record.samples <= within) continue;
          const clips = (await read(span, pass, toClips)) ?? [];
          yield { first: pass * n + span.start, clips, endOfPass: i === spans.length - 1 };
        }
        if (!opts.repeat) return;
      }
    },
    async fetch<C>(ordinals: Set<number>, toClips: ToClips<C>) {
      const out = new Map<number, C[]>();
      const wanted = (ord: number) => ordinals.has(ord);
      const visited = new Set<string>();
      for (const ord of [...ordinals].sort((a, b) => a - b)) {
        const pass = Math.floor(ord / n);
        const span = spans.find(
          (s) => s.start <= ord - pass * n && ord - pass * n < s.start + s.record.samples,
        );
        if (!span) continue;
        const id = `${pass}:${span.start}`;
        if (visited.has(id)) continue;
        visited.add(id);
        await read(
          span,
          pass,
          (sample, o) => {
            const clips = wanted(o) ? toClips(sample, o) : [];
            if (wanted(o)) out.set(o, clips);
            return [];
          },
          { shards: [], samples: [] },
        ); // counted when first read
      }
      return out;
    },
    async close() {},
  };
}
