import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatadietError } from '../../core/index.ts';

// Loading with a cache (assets are read once per process; the sampler is synchronous).

/** ENOENT, EISDIR, EACCES… (or the message): why a read failed, for the error line. */
const errnoOf = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

export const bySha = new Map<string, Uint8Array>();

/** A cache key that changes when the file does: path, size and modification time. */
function fileKey(abs: string): string {
  try {
    const st = statSync(abs);
    return `${abs}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    return abs; // the read below reports the error
  }
}

/**
 * The cache entry for an input file, built by `make` from its bytes on the first read and again
 * only after the file changed; an unreadable file is ASSET_NOT_FOUND naming `what` and `hint`.
 */
export function loadCached<T>(
  cache: Map<string, T>,
  path: string,
  what: string,
  hint: string,
  make: (raw: Uint8Array, abs: string) => T,
): T {
  const abs = resolve(path);
  const key = fileKey(abs);
  const hit = cache.get(key);
  if (hit) return hit;
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(readFileSync(abs));
  } catch (e) {
    throw new DatadietError('ASSET_NOT_FOUND', `cannot read ${what} ${path}: ${errnoOf(e)}`, {
      hint,
      cause: e,
    });
  }
  const entry = make(raw, abs);
  cache.set(key, entry);
  return entry;
}
