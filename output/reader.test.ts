import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readlink, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatadietError, type ErrorCode } from '../core/index.ts';
import { expectDatadietError } from '../core/test-helpers.ts';
import { shardFileName, writeJsonAtomic, type Manifest, type ShardRecord } from './manifest.ts';
import { encodeNpy, typedView } from './npy.ts';
import {
  readDataset,
  readShard,
  sampleArray,
  sampleJson,
  splitMemberName,
  type Sample,
} from './reader.ts';
import { ShardWriter } from './tar-shard.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'datadiet-reader-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = (n: number) => `seq-${String(n).padStart(8, '0')}`;

/** A shard of `count` samples from `first`: json + a float32 depth + a uint16 seg array. */
async function writeShard(path: string, first: number, count: number) {
  const w = await ShardWriter.open({ path });
  for (let n = first; n < first + count; n++) {
    const depth = new Float32Array([n, n + 0.5, -n, 1e-3]);
    await w.addSample(key(n), [
      { name: 'json', data: Buffer.from(JSON.stringify({ sequence: n })) },
      {
        name: 'left.depth.npy',
        data: encodeNpy({ dtype: 'float32', shape: [1, 2, 2], data: Buffer.from(depth.buffer) }),
      },
      {
        name: 'left.seg.npy',
        data: encodeNpy({
          dtype: 'uint16',
          shape: [3],
          data: Buffer.from(new Uint16Array([0, n, 65535]).buffer),
        }),
      },
    ]);
  }
  return w.finish();
}

async function collect(gen: AsyncGenerator<Sample>): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of gen) out.push(s);
  return out;
}

async function expectError(p: Promise<unknown>, code: ErrorCode, pattern: RegExp): Promise<void> {
  const e = await expectDatadietError(p, code, pattern);
  expect(e.hint).toBeTruthy();
}

describe('splitMemberName', () => {
  it('follows the WebDataset rule: key up to the first dot of the basename', () => {
    expect(splitMemberName('seq-00000042.left.rgb.npy')).toEqual({
      key: 'seq-00000042',
      member: 'left.rgb.npy',
    });
    expect(splitMemberName('a.b/seq-1.json')).toEqual({ key: 'a.b/seq-1', member: 'json' });
    expect(splitMemberName('README')).toBeNull();
    expect(splitMemberName('.hidden')).toBeNull();
  });
});

describe('readShard', () => {
  it('groups members into samples in order and decodes them', async () => {
    const path = join(dir, 'shard.tar');
    await writeShard(path, 10, 4);
    const samples = await collect(readShard(path));
    expect(samples.map((s) => s.key)).toEqual([key(10), key(11), key(12), key(13)]);
    for (const [i, s] of samples.entries()) {
      const n = 10 + i;
      expect([...s.members.keys()]).toEqual(['json', 'left.depth.npy', 'left.seg.npy']);
      expect(s.shard).toBe(path);
      expect(sampleJson(s)).toEqual({ sequence: n });
      const depth = sampleArray(s, 'left.depth.npy');
      expect(depth.dtype).toBe('float32');
      expect(depth.shape).toEqual([1, 2, 2]);
      expect(Array.from(typedView(depth))).toEqual([n, n + 0.5, -n, Math.fround(1e-3)]);
      expect(Array.from(typedView(sampleArray(s, 'left.seg.npy')))).toEqual([0, n, 65535]);
    }
  });

  it('streams: a consumer can stop early and the file is released', async () => {
    const path = join(dir, 'shard.tar');
    await writeShard(path, 0, 50);
    let seen = 0;
    for await (const s of readShard(path)) {
      expect(s.key).toBe(key(seen));
      if (++seen === 2) break;
    }
    expect(seen).toBe(2);
    if (existsSync('/proc/self/fd')) {
      // The read stream closes asynchronously; give it a moment, then no descriptor may remain.
      const openOnShard = async () => {
        const fds = await readdir('/proc/self/fd');
        const targets = await Promise.all(
          fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
        );
        return targets.includes(path);
      };
      for (let i = 0; i < 50 && (await openOnShard()); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await openOnShard()).toBe(false);
    }
  });

  it('names shard, key and member when a member is missing or bad', async () => {
    const path = join(dir, 'shard.tar');
    await writeShard(path, 0, 1);
    const [s] = await collect(readShard(path));
    expect(() => sampleArray(s!, 'right.rgb.npy')).toThrow(
      expect.objectContaining({
        code: 'DATASET_CORRUPT',
        message: expect.stringMatching(
          /shard\.tar: sample 'seq-00000000' has no member 'right\.rgb\.npy'/,
        ),
      }),
    );
    s!.members.set('left.rgb.npy', Buffer.from('junk'));
    expect(() => sampleArray(s!, 'left.rgb.npy')).toThrow(/member 'left\.rgb\.npy': npy: not an/);
    s!.members.set('json', Buffer.from('{nope'));
    expect(() => sampleJson(s!)).toThrow(/member 'json' is not valid JSON/);
  });

  it('reports a shard truncated mid-member as DATASET_CORRUPT', async () => {
    const path = join(dir, 'shard.tar');
    const rec = await writeShard(path, 0, 5);
    await truncate(path, Math.floor(rec.bytes / 2) + 7);
    await expectError(
      collect(readShard(path)),
      'DATASET_CORRUPT',
      /shard\.tar: not a readable tar/,
    );
  });

  it('reports a shard cut exactly after a member (end blocks missing) as DATASET_CORRUPT', async () => {
    const path = join(dir, 'shard.tar');
    const rec = await writeShard(path, 0, 3);
    await truncate(path, rec.bytes - 1024);
    await expectError(collect(readShard(path)), 'DATASET_CORRUPT', /truncated/);
  });

  it('reports garbage and missing shards', async () => {
    const junk = join(dir, 'junk.tar');
    await writeFile(junk, Buffer.alloc(4096, 0x41));
    await expectError(collect(readShard(junk)), 'DATASET_CORRUPT', /junk\.tar/);
    const empty = join(dir, 'empty.tar');
    await writeFile(empty, '');
    await expectError(collect(readShard(empty)), 'DATASET_CORRUPT', /truncated/);
    await expectError(collect(readShard(join(dir, 'nope.tar'))), 'DATASET_NOT_FOUND', /nope\.tar/);
  });
});

describe('readDataset', () => {
  async function writeDataset(root: string): Promise<ShardRecord[]> {
    const records: ShardRecord[] = [];
    for (const index of [0, 1]) {
      const rec = await writeShard(join(root, 'shards', shardFileName(index)), index * 3, 3);
      records.push({ ...rec, index, first_sequence: index * 3 });
    }
    const manifest: Manifest = { format_version: '1.0.0', shards: records };
    await writeJsonAtomic(join(root, 'manifest.json'), manifest);
    return records;
  }

  it('streams every shard listed in the manifest, or a chosen subset', async () => {
    await writeDataset(dir);
    const all = await collect(readDataset(dir));
    expect(all.map((s) => s.key)).toEqual([0, 1, 2, 3, 4, 5].map(key));
    expect(all[3]!.shard).toBe(join(dir, 'shards', 'shard-000001.tar'));
    const second = await collect(readDataset(dir, { shards: [1] }));
    expect(second.map((s) => s.key)).toEqual([3, 4, 5].map(key));
    await expectError(collect(readDataset(dir, { shards: [7] })), 'DATASET_NOT_FOUND', /7/);
  });

  it('says DATASET_NOT_FOUND for a missing directory or manifest', async () => {
    await expectError(collect(readDataset(join(dir, 'nope'))), 'DATASET_NOT_FOUND', /nope/);
    await expectError(collect(readDataset(dir)), 'DATASET_NOT_FOUND', /manifest\.json/);
  });

  it('says DATASET_CORRUPT for a damaged manifest', async () => {
    await writeFile(join(dir, 'manifest.json'), '{"format_version": "1.0.0", "shards": [');
    await expectError(collect(readDataset(dir)), 'DATASET_CORRUPT', /not valid JSON/);
    await writeFile(join(dir, 'manifest.json'), '{"format_version": "1.0.0"}');
    await expectError(collect(readDataset(dir)), 'DATASET_CORRUPT', /'shards'/);
    await writeJsonAtomic(join(dir, 'manifest.json'), {
      format_version: '1.0.0',
      shards: [{ file: '../../etc/passwd' }],
    });
    await expectError(collect(readDataset(dir)), 'DATASET_CORRUPT', /shards\[0\]\.file/);
  });

  it('reports a shard listed but absent', async () => {
    await writeDataset(dir);
    await rm(join(dir, 'shards', 'shard-000001.tar'));
    const seen: string[] = [];
    const err = await (async () => {
      for await (const s of readDataset(dir)) seen.push(s.key);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(3);
    expect((err as DatadietError).code).toBe('DATASET_NOT_FOUND');
  });
});
