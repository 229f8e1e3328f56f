import { DatadietError } from '../../core/index.ts';

/**
 * Turns a failed write (disk full, read-only, no permission) into one clear error; anything else
 * is returned unchanged. The caller has already removed its temp files.
 */
export function writeError(e: unknown, location: string): unknown {
  if (e instanceof DatadietError) return e;
  const err = e as NodeJS.ErrnoException;
  const where = err.path ?? location;
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT') {
    return new DatadietError('OUT_NO_SPACE', `no space left writing ${where} (${err.code})`, {
      hint: 'free space or choose another --out, then rerun the same command: complete shards are kept',
      cause: e,
    });
  }
  if (err.code === 'EROFS' || err.code === 'EACCES' || err.code === 'EPERM') {
    return new DatadietError('OUT_DIR_UNWRITABLE', `cannot write ${where} (${err.code})`, {
      hint: 'choose another --out or fix its permissions, then rerun the same command',
      cause: e,
    });
  }
  return e;
}
