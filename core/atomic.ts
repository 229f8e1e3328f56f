/**
 * Atomic file writes (temp file, fsync, rename: a reader never sees half a file, a killed run
 * leaves at most a temp file) and deterministic JSON. Every stage writes through these.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';

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
