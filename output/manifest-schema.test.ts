import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectDatadietError } from '../core/test-helpers.ts';
import { writeJsonAtomic } from './manifest.ts';
import { ManifestSchema, SampleJsonSchema } from './manifest-schema.ts';
import { readManifest } from './reader.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'datadiet-schema-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const shard = (i: number, file = `shards/shard-00000${i}.tar`) => ({
  file,
  samples: 2,
  bytes: 10240,
  sha256: 'ab'.repeat(32),
  index: i,
  first_sequence: 2 * i,
});

/** A 1.2-shaped manifest with the fields readers use (a full one is checked in dataset-meta.test.ts). */
const manifest = () => ({
  format_version: '1.2',
  sequences: 4,
  frames: 2,
  width: 16,
  height: 16,
  layers: [{ name: 'rgb', dtype: 'uint8', shape: [2, 16, 16, 3], members: ['left.rgb.npy'] }],
  categories: [{ index: 0, name: 'bird', diagnostic_part: 'head' }],
  motion: {
    member: 'motion.npy',
    dtype: 'float32',
    shape: [2, 1],
    columns: [{ name: 'head_vel_x', unit: 'm/s', frame: 'head', description: 'x' }],
  },
  shards: [shard(0), shard(1)],
});

async function readWith(value: unknown) {
  await writeJsonAtomic(join(dir, 'manifest.json'), value);
  return readManifest(dir);
}

describe('ManifestSchema through readManifest', () => {
  it('returns the manifest as written: unknown fields and key order kept', async () => {
    const m = { ...manifest(), future_block: { a: 1 }, total_bytes: 20480 };
    m.shards[0] = { ...shard(0), extra: 'kept' } as ReturnType<typeof shard>;
    const read = await readWith(m);
    expect(read).toEqual(m);
    expect(Object.keys(read)).toEqual(Object.keys(m));
  });

  it('reads 1.0/1.1 manifests: bare shard names, no motion, camera or categories', async () => {
    const old = { format_version: '1.0', sequences: 2, shards: [shard(0, 'shard-000000.tar')] };
    expect((await readWith(old)).shards[0]!.file).toBe('shard-000000.tar');
  });

  it('a wrong-typed field is DATASET_CORRUPT naming the field', async () => {
    await expectDatadietError(
      readWith({ ...manifest(), width: '16' }),
      'DATASET_CORRUPT',
      /manifest\.json: 'width' is not a number/,
    );
    const m = manifest();
    m.motion.columns[0]!.name = 7 as unknown as string;
    await expectDatadietError(
      readWith(m),
      'DATASET_CORRUPT',
      /motion\.columns\[0\]\.name is not a string/,
    );
    const n = manifest();
    delete (n.shards[1] as Partial<ReturnType<typeof shard>>).sha256;
    await expectDatadietError(readWith(n), 'DATASET_CORRUPT', /shards\[1\]\.sha256 is missing/);
    await expectDatadietError(
      readWith({ ...manifest(), frames: 2.5 }),
      'DATASET_CORRUPT',
      /'frames' is not an integer/,
    );
  });

  it('keeps the messages readers gave before the schema', async () => {
    await expectDatadietError(
      readWith({ format_version: '1.2' }),
      'DATASET_CORRUPT',
      /'shards' is missing or not a list/,
    );
    await expectDatadietError(
      readWith({ ...manifest(), shards: [shard(0, 'shards/../../x.tar')] }),
      'DATASET_CORRUPT',
      /shards\[0\]\.file is not a shard file name/,
    );
  });
});

describe('SampleJsonSchema', () => {
  it('accepts a minimal old sample and refuses an object without an integer id', () => {
    expect(SampleJsonSchema.safeParse({ key: 'seq-00000000', objects: [] }).success).toBe(true);
    const bad = SampleJsonSchema.safeParse({ objects: [{ id: 'a', category_index: 0 }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['objects', 0, 'id']);
  });

  it('format_version is a string (1.0, 1.1, 1.2), not a number', () => {
    expect(ManifestSchema.safeParse({ format_version: '1.1', shards: [] }).success).toBe(true);
    expect(ManifestSchema.safeParse({ format_version: 1.1, shards: [] }).success).toBe(false);
  });
});
