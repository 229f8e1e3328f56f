/**
 * Keeps a stream's sequences as an ordinary dataset (`datadiet train --stream --cache DIR`):
 * sequence i goes to shard ⌊i / K⌋ (K = the spec's sequences_per_shard), so the shards are the
 * bytes `datadiet generate` would write for the same spec and layers. Each full shard is written to
 * a temp name, renamed, recorded in a sidecar, and the manifest is rewritten to cover every shard so
 * far: a killed run leaves a dataset that `verify` passes. A rerun continues from the first shard
 * that is not full (a short last shard is rewritten), so the sequences it needs are rendered again.
 */
import { DatadietError, packageVersion } from '../core/index.ts';
import {
  MANIFEST_FILE,
  SHARDS_DIR,
  shardFileName,
  type ShardRecord,
  parseManifest,
  type Sample,
  openStorage,
  writeError,
  type DatasetStorage,
  ShardWriter,
} from '../output/index.ts';
import type { Spec } from '../scenes/index.ts';
import { buildManifest } from './dataset-meta.ts';
import { sidecarName, type Sidecar } from './generate.ts';
import { join } from 'node:path';

export interface StreamCacheOptions {
  dir: string;
  /** The stream's spec (its layers are the ones rendered); `sequences` is set to what is held. */
  spec: Spec;
  /** The stream's fingerprint: a folder holding another stream's sequences is refused. */
  fingerprint: string;
}

const mismatch = (dir: string) =>
  new DatadietError(
    'OUT_DIR_MISMATCH',
    `--cache ${dir} holds sequences of another stream (spec, seed, layers or datadiet version)`,
    { hint: 'use a new --cache folder, or the same --preset/--spec flags and objective as before' },
  );

export class StreamCache {
  private writer: ShardWriter | null = null;
  private inShard = 0;

  private constructor(
    private readonly opts: StreamCacheOptions,
    private readonly store: DatasetStorage,
    private readonly version: string,
    private readonly records: ShardRecord[],
  ) {}

  /** Sequences per shard. */
  get perShard(): number {
    return this.opts.spec.sequences_per_shard;
  }

  /** The next sequence index the cache needs: everything below it is held (or being written). */
  get next(): number {
    return this.records.length * this.perShard + this.inShard;
  }

  /** Opens (or continues) the cache folder: keeps the full shards, drops the rest and temp files. */
  static async open(opts: StreamCacheOptions): Promise<StreamCache> {
    const store = openStorage(opts.dir);
    await store.prepare();
    const raw = await store.readJson<unknown>(MANIFEST_FILE);
    const manifest = raw === null ? null : parseManifest(raw, store.url(MANIFEST_FILE));
    if (manifest && manifest.fingerprint !== opts.fingerprint) throw mismatch(opts.dir);
    const names = await store.list(SHARDS_DIR);
    const records: ShardRecord[] = [];
    for (let i = 0; ; i++) {
      const sc = names.includes(shardFileName(i).replace(/\.tar$/, '.json'))
        ? await store.readJson<Sidecar>(sidecarName(i)).catch(() => null)
        : null;
      if (sc && sc.fingerprint !== opts.fingerprint) throw mismatch(opts.dir);
      const full =
        sc !== null &&
        sc.record.samples === opts.spec.sequences_per_shard &&
        (await store.matches(`${SHARDS_DIR}/${sc.record.file}`, sc.record));
      if (!full) break;
      records.push(sc.record);
    }
    // Shards past the first gap (a short last shard, a torn one) and temp files of a killed run
    // are rewritten as the stream reaches them again; a stale sidecar must not outlive its shard.
    for (const name of names) {
      const m = /^shard-(\d+)\./.exec(name);
      if (m && Number(m[1]) >= records.length) await store.remove(`${SHARDS_DIR}/${name}`);
    }
    const cache = new StreamCache(opts, store, await packageVersion(), records);
    await cache.writeManifest();
    return cache;
  }

  /** Adds sequence `index` if it is the next one needed; earlier ones are held already. */
  async add(index: number, sample: Sample): Promise<void> {
    if (index < this.next) return;
    if (index > this.next) {
      throw new Error(`stream cache: got sequence ${index}, needs ${this.next} first`);
    }
    try {
      if (!this.writer) {
        const file = shardFileName(this.records.length);
        this.writer = await ShardWriter.open({ path: join(this.store.stagingDir, file) });
      }
      await this.writer.addSample(
        sample.key,
        [...sample.members].map(([name, data]) => ({ name, data })),
      );
    } catch (e) {
      throw writeError(e, this.store.location);
    }
    this.inShard++;
    if (this.inShard === this.perShard) await this.finishShard();
  }

  /** Writes the short last shard (a rerun rewrites it whole) and the manifest. */
  async close(): Promise<void> {
    if (this.inShard > 0) await this.finishShard();
  }

  /** Drops the shard being written (a failed run); the full shards and manifest stay. */
  async abort(): Promise<void> {
    await this.writer?.abort().catch(() => {});
    this.writer = null;
    this.inShard = 0;
  }

  private async finishShard(): Promise<void> {
    const writer = this.writer!;
    const index = this.records.length;
    try {
      const record: ShardRecord = {
        ...(await writer.finish()),
        index,
        first_sequence: index * this.perShard,
      };
      const file = shardFileName(index);
      await this.store.publish(join(this.store.stagingDir, file), `${SHARDS_DIR}/${file}`, {
        sha256: record.sha256,
      });
      await this.store.writeJson(sidecarName(index), {
        fingerprint: this.opts.fingerprint,
        record,
        spec: this.opts.spec,
        generator_version: this.version,
      } satisfies Sidecar);
      this.records.push(record);
    } catch (e) {
      throw writeError(e, this.store.location);
    } finally {
      this.writer = null;
      this.inShard = 0;
    }
    await this.writeManifest();
  }

  private async writeManifest(): Promise<void> {
    if (this.records.length === 0) {
      await this.store.remove(MANIFEST_FILE);
      return;
    }
    const held = this.records.reduce((n, r) => n + r.samples, 0);
    await this.store.writeJson(
      MANIFEST_FILE,
      buildManifest({
        spec: { ...this.opts.spec, sequences: held },
        generatorVersion: this.version,
        fingerprint: this.opts.fingerprint,
        shards: this.records,
      }),
    );
  }
}
