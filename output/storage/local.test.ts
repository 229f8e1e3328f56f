import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatadietError } from '../../core/index.ts';
import { joinLocation, openStorage, parseS3Url, splitLocation, writeError } from './index.ts';
import { LocalStorage } from './local.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'datadiet-storage-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LocalStorage', () => {
  it('same-named writes racing in one PID (pods are all PID 1) all land, leaving no temp', async () => {
    const store = new LocalStorage(dir);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.writeJson('manifest.json', { i })),
    );
    const text = await readFile(join(dir, 'manifest.json'), 'utf8');
    expect(JSON.parse(text)).toHaveProperty('i');
    expect(await readdir(dir)).toEqual(['manifest.json']);
  });

  it('reads JSON, null when absent, DATASET_CORRUPT when torn', async () => {
    const store = openStorage(dir);
    await store.writeJson('shards/a.json', { ok: true });
    expect(await store.readJson('shards/a.json')).toEqual({ ok: true });
    expect(await store.readJson('shards/b.json')).toBeNull();
    await writeFile(join(dir, 'shards', 'c.json'), '{"ok": tr');
    await expect(store.readJson('shards/c.json')).rejects.toMatchObject({
      code: 'DATASET_CORRUPT',
    });
    expect(await store.list('nope')).toEqual([]);
    expect(await store.size('shards/a.json')).toBe(`{\n  "ok": true\n}\n`.length);
  });

  it('publish moves a staged file into place; openRead of a missing one is DATASET_NOT_FOUND', async () => {
    const store = openStorage(dir);
    await writeFile(join(dir, 'staged'), 'abc');
    await store.publish(join(dir, 'staged'), 'previews/x.bin');
    expect(await readFile(join(dir, 'previews', 'x.bin'), 'utf8')).toBe('abc');
    await expect(store.openRead('previews/y.bin')).rejects.toMatchObject({
      code: 'DATASET_NOT_FOUND',
    });
  });
});

describe('locations and write errors', () => {
  it('joins and splits s3 URLs without mangling the scheme', () => {
    expect(joinLocation('s3://b/p/', 'shards', 'x.tar')).toBe('s3://b/p/shards/x.tar');
    expect(joinLocation('/d', 'shards')).toBe('/d/shards');
    expect(splitLocation('s3://b/p/shards/x.tar')).toEqual({
      parent: 's3://b/p/shards',
      name: 'x.tar',
    });
    expect(parseS3Url('s3://my-bucket/a/b/')).toEqual({ bucket: 'my-bucket', prefix: 'a/b' });
    expect(() => parseS3Url('s3://UPPER/x')).toThrow(DatadietError);
  });

  it('maps disk full and read-only to clear codes, leaves other errors alone', () => {
    const enospc = Object.assign(new Error('write failed'), { code: 'ENOSPC' });
    expect(writeError(enospc, '/data')).toMatchObject({
      code: 'OUT_NO_SPACE',
      message: 'no space left writing /data (ENOSPC)',
    });
    const erofs = Object.assign(new Error('ro'), { code: 'EROFS', path: '/data/x' });
    expect(writeError(erofs, '/data')).toMatchObject({ code: 'OUT_DIR_UNWRITABLE' });
    const other = new Error('boom');
    expect(writeError(other, '/data')).toBe(other);
  });
});
