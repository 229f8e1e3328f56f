import type { WriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeNpyParts } from './npy.ts';
import { readShard } from './reader.ts';
import { ShardWriter, sha256File, shardFileMatches } from './tar-shard.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'datadiet-shard-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function frames(t: number, bytesPerFrame: number, seed: number): Buffer[] {
  return Array.from({ length: t }, (_, f) => {
    const b = Buffer.alloc(bytesPerFrame);
    for (let i = 0; i < b.length; i++) b[i] = (i * 31 + f * 7 + seed) & 0xff;
    return b;
  });
}

async function writeExample(path: string): Promise<Awaited<ReturnType<ShardWriter['finish']>>> {
  const w = await ShardWriter.open({ path });
  for (let s = 0; s < 3; s++) {
    await w.addSample(`seq-${String(40 + s).padStart(8, '0')}`, [
      { name: 'json', data: Buffer.from(JSON.stringify({ seq: 40 + s })) },
      { name: 'left.rgb.npy', data: encodeNpyParts('uint8', [2, 4, 5, 3], frames(2, 60, s)) },
      { name: 'empty', data: [] },
    ]);
  }
  return w.finish();
}

describe('ShardWriter', () => {
  it('writes byte-identical shards for the same content, with a correct record', async () => {
    const a = await writeExample(join(dir, 'a', 'shard-000000.tar'));
    // Different time, different directory: still the same bytes.
    await new Promise((r) => setTimeout(r, 1100));
    const b = await writeExample(join(dir, 'b', 'shard-000000.tar'));
    expect(a).toEqual(b);
    expect(a.file).toBe('shard-000000.tar');
    expect(a.samples).toBe(3);
    const path = join(dir, 'a', 'shard-000000.tar');
    expect(await sha256File(path)).toEqual({ sha256: a.sha256, bytes: a.bytes });
    expect((await stat(path)).size).toBe(a.bytes);
    expect(await readdir(join(dir, 'a'))).toEqual(['shard-000000.tar']); // no temp file left
    expect(await shardFileMatches(path, a)).toBe(true);
    expect(await shardFileMatches(path, { ...a, sha256: '0'.repeat(64) })).toBe(false);
    expect(await shardFileMatches(join(dir, 'missing.tar'), a)).toBe(false);
  });

  it('writes deterministic tar headers (mtime 0, mode 644, root, no names)', async () => {
    const path = join(dir, 'shard.tar');
    await writeExample(path);
    const tar = await readFile(path);
    const header = tar.subarray(0, 512);
    expect(header.toString('latin1', 0, 13)).toBe('seq-00000040.');
    const field = (off: number, len: number) => header.toString('latin1', off, off + len);
    expect(parseInt(field(100, 7), 8)).toBe(0o644); // mode
    expect(parseInt(field(108, 7), 8)).toBe(0); // uid
    expect(parseInt(field(116, 7), 8)).toBe(0); // gid
    expect(parseInt(field(136, 11), 8)).toBe(0); // mtime
    expect(field(265, 32).replace(/\0+$/, '')).toBe(''); // uname
    expect(field(297, 32).replace(/\0+$/, '')).toBe(''); // gname
  });

  it('streams large multi-chunk members with backpressure', async () => {
    const path = join(dir, 'big.tar');
    const chunks = frames(40, 512 * 1024 + 3, 9); // ~20 MiB in odd-sized pieces
    const w = await ShardWriter.open({ path });
    await w.addSample('seq-00000000', [
      { name: 'left.depth.npy', data: encodeNpyParts('uint8', [40, 512 * 1024 + 3], chunks) },
    ]);
    const rec = await w.finish();
    const samples = [];
    for await (const s of readShard(path)) samples.push(s);
    expect(samples).toHaveLength(1);
    const member = samples[0]!.members.get('left.depth.npy')!;
    expect(member.subarray(128).equals(Buffer.concat(chunks))).toBe(true);
    expect(rec.bytes).toBeGreaterThan(20 * 1024 * 1024);
  });

  it('abort() leaves no file behind', async () => {
    const path = join(dir, 'shards', 'shard-000001.tar');
    const w = await ShardWriter.open({ path });
    await w.addSample('seq-00000000', [{ name: 'json', data: Buffer.from('{}') }]);
    await w.abort();
    await w.abort(); // idempotent
    expect(await readdir(join(dir, 'shards'))).toEqual([]);
    await expect(w.addSample('seq-00000001', [])).rejects.toThrow(/aborted/);
  });

  it('fails fast when the temp file cannot be created', async () => {
    const path = join(dir, 'shard.tar');
    await mkdir(`${path}.tmp-${process.pid}`); // a directory where the temp file should go
    await expect(ShardWriter.open({ path })).rejects.toThrow(/EISDIR/);
  });

  it('surfaces a write failure mid-shard instead of hanging, and cleans up', async () => {
    const path = join(dir, 'shard.tar');
    const w = await ShardWriter.open({ path });
    await w.addSample('seq-0', [{ name: 'bin', data: Buffer.alloc(1024) }]);
    // Stand-in for ENOSPC: kill the file stream under the writer.
    (w as unknown as { file: WriteStream }).file.destroy(new Error('disk gone'));
    const big = Array.from({ length: 64 }, () => Buffer.alloc(1024 * 1024));
    await expect(w.addSample('seq-1', [{ name: 'bin', data: big }])).rejects.toThrow();
    await expect(w.finish()).rejects.toThrow();
    await w.abort(); // a no-op now, but what callers do in their error path
    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects keys and member names that would break WebDataset grouping', async () => {
    const w = await ShardWriter.open({ path: join(dir, 'bad.tar') });
    const json = [{ name: 'json', data: Buffer.from('{}') }];
    await expect(w.addSample('seq.1', json)).rejects.toThrow(/bad sample key/);
    await expect(w.addSample('a/b', json)).rejects.toThrow(/bad sample key/);
    await expect(
      w.addSample('seq-1', [
        { name: 'json', data: Buffer.alloc(0) },
        { name: 'json', data: Buffer.alloc(0) },
      ]),
    ).rejects.toThrow(/repeated member name/);
    await expect(w.addSample('seq-3', [])).rejects.toThrow(/no members/);
    await w.addSample('seq-2', json);
    await expect(w.addSample('seq-2', json)).rejects.toThrow(/duplicate sample key/);
    await w.abort();
  });

  it('overwrites a stale temp file from a killed run and replaces the target atomically', async () => {
    const path = join(dir, 'shard.tar');
    await writeFile(`${path}.tmp-${process.pid}`, 'junk from a killed run');
    await writeFile(path, 'old');
    const rec = await writeExample(path);
    expect((await sha256File(path)).sha256).toBe(rec.sha256);
    expect(await readdir(dir)).toEqual(['shard.tar']);
  });
});
