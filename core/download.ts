/**
 * Model downloads, once: a URL is fetched into a cache folder keyed by the URL's sha256, written
 * atomically, and its checksum recorded beside it (`<file>.sha256`); later calls reuse the file
 * after checking that checksum. An expected sha256 (a descriptor's `sha256`, or a URL fragment
 * `#sha256=…`) is verified on download and on reuse.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { DatadietError } from './errors.ts';

export const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** $DATADIET_CACHE, else $XDG_CACHE_HOME/datadiet, else ~/.cache/datadiet. */
export function cacheRoot(): string {
  const env = process.env;
  if (env['DATADIET_CACHE']) return env['DATADIET_CACHE'];
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'datadiet');
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

export interface DownloadOptions {
  url: string;
  /** Expected sha256 (hex) of the file, checked on download and reuse. */
  sha256?: string | undefined;
  /** Cache folder; default cacheRoot()/models. */
  cacheDir?: string | undefined;
  /** File name inside the URL's cache folder; default the URL's last path segment. */
  fileName?: string | undefined;
}

async function readIfPresent(p: string): Promise<Buffer | null> {
  return readFile(p).catch(() => null);
}

/** The local path of `url`'s content, downloading it on first use. */
export async function cachedDownload(o: DownloadOptions): Promise<string> {
  const [bare, fragment] = o.url.split('#', 2) as [string, string | undefined];
  const expected = (o.sha256 ?? /sha256=([0-9a-f]{64})/i.exec(fragment ?? '')?.[1])?.toLowerCase();
  const dir = join(o.cacheDir ?? join(cacheRoot(), 'models'), sha256(bare).slice(0, 16));
  const name = o.fileName ?? (basename(new URL(bare).pathname) || 'download');
  const file = join(dir, name);
  const cached = await readIfPresent(file);
  const recorded = (await readIfPresent(`${file}.sha256`))?.toString('utf8').trim();
  if (cached && recorded && sha256(cached) === recorded && (!expected || expected === recorded)) {
    return file;
  }
  let body: Buffer;
  try {
    const res = await fetch(bare);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    body = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    throw new DatadietError('DOWNLOAD_FAILED', `cannot download ${bare}: ${(e as Error).message}`, {
      hint: 'check the URL and the network, or download the file yourself and pass its path',
      cause: e,
    });
  }
  const got = sha256(body);
  if (expected && got !== expected) {
    throw new DatadietError(
      'DOWNLOAD_FAILED',
      `${bare}: downloaded sha256 ${got} differs from the expected ${expected}`,
      {
        hint: 'the file changed on the server or the expected checksum is wrong; fix the sha256 you gave',
      },
    );
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, body);
  await rename(tmp, file);
  await writeFile(`${file}.sha256.${process.pid}.tmp`, `${got}\n`);
  await rename(`${file}.sha256.${process.pid}.tmp`, `${file}.sha256`);
  return file;
}
