import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { DatadietError } from '../../core/index.ts';
import { bySha, loadCached } from './cache.ts';

// Gaussian-splat captures (drawn by the page with Spark; Node only checks and ships the bytes).

const splats = new Map<
  string,
  { sha256: string; format: 'ply' | 'splat' | 'spz'; bytes: Uint8Array }
>();

/** Reads a splat file (again only when it changed), checks its format's signature, returns its sha256. */
export function loadSplatFile(sp: { path: string; format?: 'ply' | 'splat' | 'spz' | undefined }) {
  return loadCached(
    splats,
    sp.path,
    'splat file',
    'background.splat.path is relative to the working directory',
    (bytes, abs) => {
      const ext = extname(abs).slice(1).toLowerCase();
      const format =
        sp.format ?? (ext === 'ply' || ext === 'splat' || ext === 'spz' ? ext : undefined);
      const bad = (why: string) =>
        new DatadietError('ASSET_INVALID', `splat file ${sp.path}: ${why}`, {
          hint: 'use a 3D Gaussian splatting .ply, an antimatter15 .splat or a Niantic .spz file, or set background.splat.format',
        });
      if (!format) throw bad('unknown format (set background.splat.format: ply, splat or spz)');
      const head = new TextDecoder().decode(bytes.subarray(0, 4));
      if (format === 'ply' && head !== 'ply\n' && head !== 'ply\r') throw bad('no PLY header');
      if (format === 'splat' && (bytes.length === 0 || bytes.length % 32 !== 0))
        throw bad('a .splat file is a whole number of 32-byte records');
      if (format === 'spz' && !(bytes[0] === 0x1f && bytes[1] === 0x8b))
        throw bad('not gzip-compressed');
      const loaded = { sha256: createHash('sha256').update(bytes).digest('hex'), format, bytes };
      bySha.set(loaded.sha256, bytes);
      return loaded;
    },
  );
}

/** The bytes of a splat record's file, for the page. */
export function splatBytes(splat: { source: string; sha256: string }): Uint8Array {
  const cached = bySha.get(splat.sha256);
  if (cached) return cached;
  const loaded = loadSplatFile({ path: splat.source });
  if (loaded.sha256 !== splat.sha256)
    throw new DatadietError(
      'ASSET_INVALID',
      `${splat.source} changed since the scene was sampled`,
      {
        hint: 'rerun generation with the splat file unchanged',
      },
    );
  return loaded.bytes;
}
