import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJson, shardFileName, stableJson, writeJsonAtomic } from './manifest.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'datadiet-manifest-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('manifest IO', () => {
  it('writes 2-space JSON with a trailing newline atomically and reads it back', async () => {
    const path = join(dir, 'manifest.json');
    await writeFile(path, 'old');
    const value = { format_version: '1.0.0', shards: [{ file: shardFileName(3), samples: 2 }] };
    await writeJsonAtomic(path, value);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(`${JSON.stringify(value, null, 2)}\n`);
    expect(await readJson(path)).toEqual(value);
    expect(await readdir(dir)).toEqual(['manifest.json']); // no temp file left
  });

  it('refuses NaN and Infinity rather than writing null', () => {
    expect(() => stableJson({ a: { b: Number.NaN } })).toThrow(/non-finite number NaN at key 'b'/);
    expect(() => stableJson([Infinity])).toThrow(/non-finite/);
  });

  it('maps missing and unparsable files to dataset errors', async () => {
    await expect(readJson(join(dir, 'nope.json'))).rejects.toMatchObject({
      code: 'DATASET_NOT_FOUND',
    });
    await writeFile(join(dir, 'bad.json'), '{');
    await expect(readJson(join(dir, 'bad.json'))).rejects.toMatchObject({
      code: 'DATASET_CORRUPT',
    });
  });

  it('names shards with six digits', () => {
    expect(shardFileName(0)).toBe('shard-000000.tar');
    expect(shardFileName(123)).toBe('shard-000123.tar');
  });
});
