import type { Readable } from 'node:stream';

/** How to reach S3-compatible storage; unset fields come from the usual AWS environment. */
export interface S3Options {
  /** e.g. http://127.0.0.1:9000 (MinIO); default $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, AWS. */
  endpoint?: string | undefined;
  /** default $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1 */
  region?: string | undefined;
  /** Path-style URLs (most self-hosted servers need them); default on when an endpoint is set. */
  forcePathStyle?: boolean | undefined;
}

export interface StorageOptions {
  s3?: S3Options | undefined;
}

/**
 * Where a dataset lives. Names are '/'-separated paths relative to the dataset root
 * ('manifest.json', 'shards/shard-000000.tar'). Every write is atomic: a reader sees the old
 * object, the new one, or none, never part of one.
 */
export interface DatasetStorage {
  /** The directory or s3:// URL, for messages. */
  readonly location: string;
  /** A local directory where shards are written before `publish` (for a local dataset: its shards/). */
  readonly stagingDir: string;
  /** Full path or URL of a name. */
  url(name: string): string;
  /** Creates what is needed and proves the target writable, before any rendering starts. */
  prepare(): Promise<void>;
  /** Parsed JSON, or null when absent; DATASET_CORRUPT when it does not parse. */
  readJson<T>(name: string): Promise<T | null>;
  writeFile(name: string, data: Buffer | string): Promise<void>;
  writeJson(name: string, value: unknown): Promise<void>;
  /** Basenames directly under a folder ('shards'); [] when there is none. */
  list(dir: string): Promise<string[]>;
  /** Size in bytes, or null when absent. */
  size(name: string): Promise<number | null>;
  /** Whether a stored shard is the one a record describes (so a rerun may skip it). */
  matches(name: string, expected: { bytes: number; sha256: string }): Promise<boolean>;
  /** A byte stream of the object and its size; DATASET_NOT_FOUND when absent. */
  openRead(name: string): Promise<{ stream: Readable; size: number }>;
  /** Moves a finished local file to `name` atomically (rename, or one upload then delete). */
  publish(localPath: string, name: string, opts?: { sha256?: string }): Promise<void>;
  remove(name: string): Promise<void>;
}
