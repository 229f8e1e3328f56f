/** Where datasets live: a local directory or S3-compatible object storage, behind one interface. */
import { LocalStorage, openLocalFile } from './local.ts';
import { isS3Url, splitLocation } from './location.ts';
import { S3Storage } from './s3.ts';
import type { DatasetStorage, StorageOptions } from './types.ts';

export { LocalStorage } from './local.ts';
export { S3Storage } from './s3.ts';
export { isS3Url, joinLocation, parseS3Url, splitLocation, type S3Location } from './location.ts';
export { writeError } from './write-error.ts';
export type { DatasetStorage, S3Options, StorageOptions } from './types.ts';

/** The storage for a dataset at a directory or an s3://bucket/prefix URL. */
export function openStorage(location: string, opts: StorageOptions = {}): DatasetStorage {
  return isS3Url(location) ? new S3Storage(location, opts.s3) : new LocalStorage(location);
}

// One client (and connection pool) per dataset and endpoint, not one per shard read.
const s3Cache = new Map<string, S3Storage>();

/** Streams one file or object given its full path or URL (a shard, say). */
export function openObject(location: string, opts: StorageOptions = {}) {
  if (!isS3Url(location)) return openLocalFile(location);
  const { parent, name } = splitLocation(location);
  const key = JSON.stringify([parent, opts.s3 ?? {}]);
  let store = s3Cache.get(key);
  if (!store) {
    if (s3Cache.size > 64) s3Cache.clear();
    store = new S3Storage(parent, opts.s3);
    s3Cache.set(key, store);
  }
  return store.openRead(name);
}
