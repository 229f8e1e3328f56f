import { cp, mkdtemp, open, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/index.ts';
import { generateTiny } from '../generator/test-helpers.ts';
import type { LayerName } from './layers.ts';
import { readJson, writeJsonAtomic, type Manifest } from './manifest.ts';
import { decodeNpy, encodeNpy, ndarray, typedView } from './npy.ts';
import { readShard, shardRelPath, type Sample } from './reader.ts';
import { ShardWriter, sha256File } from './tar-shard.ts';
import { verifyDataset, type VerifyCode } from './verify.ts';

const TINY = {
  sequences: 4,
  sequences_per_shard: 2,
  frames: 2,
  width: 32,
  height: 32,
  seed: 11,
  layers: ['rgb', 'depth', 'seg', 'parts', 'valid', 'occlusion'] as LayerName[],
};

let base: string;
let scratch: string;

beforeAll(async () => {
  base = (await generateTiny(TINY)).out;
  scratch = await mkdtemp(join(tmpdir(), 'datadiet-verify-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  await rm(base, { recursive: true, force: true });
});

let copies = 0;
/** A fresh copy of the intact dataset to damage. */
async function copy(): Promise<string> {
  const dir = join(scratch, `c${copies++}`);
  await cp(base, dir, { recursive: true });
  return dir;
}

async function verifyCli(dir: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    ['verify', dir],
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out, err };
}

const codes = async (dir: string): Promise<VerifyCode[]> =>
  (await verifyDataset(dir)).problems.map((p) => p.code);

/**
 * Rewrites one shard as a real tar with `edit` applied to its samples, and updates the manifest's
 * size and checksum so that only the edit (not the byte change itself) is left to find.
 */
async function rewriteShard(
  dir: string,
  file: string,
  edit: (s: Sample) => { name: string; data: Buffer }[],
) {
  const path = join(dir, 'shards', file);
  const samples: Sample[] = [];
  for await (const s of readShard(path)) samples.push(s);
  const w = await ShardWriter.open({ path });
  for (const s of samples) await w.addSample(s.key, edit(s));
  const rec = await w.finish();
  const mpath = join(dir, 'manifest.json');
  const m = await readJson<Manifest>(mpath);
  const entry = m.shards.find((r) => shardRelPath(r) === `shards/${file}`)!;
  entry.bytes = rec.bytes;
  entry.sha256 = rec.sha256;
  await writeJsonAtomic(mpath, m);
}

const members = (s: Sample) => [...s.members].map(([name, data]) => ({ name, data }));

/** Offset of a member's data in a tar (ustar headers: name at 0, octal size at 124). */
async function memberDataOffset(path: string, member: string): Promise<number> {
  const buf = await readFile(path);
  for (let off = 0; off + 512 <= buf.length;) {
    const name = buf.toString('latin1', off, off + 100).replace(/\0.*$/s, '');
    if (name === '') break;
    const size = parseInt(buf.toString('latin1', off + 124, off + 136).replace(/\0.*$/s, ''), 8);
    if (name === member) return off + 512;
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${member} not in ${path}`);
}

describe('datadiet verify on a real generated dataset', () => {
  it('passes an intact dataset (API and CLI, exit 0)', async () => {
    const report = await verifyDataset(base);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, shards: 2, samples: 4 });
    const r = await verifyCli(base);
    expect(r.code).toBe(0);
    expect(r.out.at(-1)).toMatch(/^verify: OK: .*2 shards .*4 samples/);
  });

  it('a flipped byte in array data: SHARD_SHA256 (and nothing else decodes wrong)', async () => {
    const dir = await copy();
    const path = join(dir, 'shards', 'shard-000001.tar');
    const at = (await memberDataOffset(path, 'seq-00000003.right.rgb.npy')) + 200;
    const fh = await open(path, 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    await fh.write(Buffer.from([b[0]! ^ 0x01]), 0, 1, at);
    await fh.close();
    expect(await codes(dir)).toEqual(['SHARD_SHA256']);
    const r = await verifyCli(dir);
    expect(r.code).toBe(6);
    expect(r.out).toEqual([
      expect.stringMatching(
        /^problem\[SHARD_SHA256\]: shard shard-000001\.tar: sha256 [0-9a-f]{12}… does not match the manifest's/,
      ),
    ]);
    expect(r.err).toEqual([
      expect.stringMatching(/^error\[DATASET_CORRUPT\]: verify: 1 problem in .*fix: delete/),
    ]);
  });

  it('a truncated shard: SHARD_SIZE says truncated, and the tar is unreadable', async () => {
    const dir = await copy();
    const path = join(dir, 'shards', 'shard-000000.tar');
    const full = (await sha256File(path)).bytes;
    await truncate(path, Math.floor(full / 2));
    const report = await verifyDataset(dir);
    expect(report.problems.map((p) => p.code)).toEqual([
      'SHARD_SIZE',
      'SHARD_UNREADABLE',
      'SHARD_SHA256',
    ]);
    expect(report.problems[0]!.message).toBe(
      `shard shard-000000.tar: truncated: ${Math.floor(full / 2)} bytes, manifest says ${full}`,
    );
    expect((await verifyCli(dir)).code).toBe(6);
  });

  it('a missing member: MEMBER_MISSING names the sample and member', async () => {
    const dir = await copy();
    await rewriteShard(dir, 'shard-000000.tar', (s) =>
      members(s).filter((m) => !(s.key === 'seq-00000001' && m.name === 'left.depth.npy')),
    );
    const report = await verifyDataset(dir);
    expect(report.problems).toEqual([
      {
        code: 'MEMBER_MISSING',
        message: "shard shard-000000.tar: seq-00000001: member 'left.depth.npy' is missing",
      },
    ]);
    expect((await verifyCli(dir)).out[0]).toMatch(/^problem\[MEMBER_MISSING\]: .*left\.depth\.npy/);
  });

  it('a wrong dtype: DTYPE_MISMATCH names the member and both dtypes', async () => {
    const dir = await copy();
    await rewriteShard(dir, 'shard-000001.tar', (s) =>
      members(s).map((m) => {
        if (s.key !== 'seq-00000002' || m.name !== 'right.depth.npy') return m;
        const a = decodeNpy(m.data);
        const wide = Float64Array.from(typedView(a));
        return { name: m.name, data: encodeNpy(ndarray('float64', a.shape, wide)) };
      }),
    );
    expect((await verifyDataset(dir)).problems).toEqual([
      {
        code: 'DTYPE_MISMATCH',
        message:
          "shard shard-000001.tar: seq-00000002: member 'right.depth.npy' has dtype float64, manifest says float32",
      },
    ]);
    expect((await verifyCli(dir)).code).toBe(6);
  });

  it('cross-layer invariants: unknown seg id, parts off the object, non-positive depth', async () => {
    const dir = await copy();
    await rewriteShard(dir, 'shard-000000.tar', (s) =>
      members(s).map((m) => {
        if (s.key !== 'seq-00000000') return m;
        if (m.name === 'json') {
          // Drop the objects from the JSON: every id in seg becomes unknown.
          const j = JSON.parse(m.data.toString()) as { objects: unknown[] };
          j.objects = [];
          return { name: m.name, data: Buffer.from(JSON.stringify(j)) };
        }
        if (m.name === 'left.parts.npy' || m.name === 'left.depth.npy') {
          const a = decodeNpy(Buffer.from(m.data));
          // Pixel 0 is sky in these scenes: seg 0 there, so a part flag there is off-object.
          typedView(a)[0] = m.name === 'left.parts.npy' ? 1 : -2;
          return { name: m.name, data: encodeNpy(a) };
        }
        return m;
      }),
    );
    const report = await verifyDataset(dir);
    expect(report.problems.map((p) => p.code).sort()).toEqual([
      'DEPTH_INVALID',
      'PARTS_OUTSIDE_SEG',
      'SEG_UNKNOWN_ID',
      'SEG_UNKNOWN_ID',
      'SKY_HAS_SURFACE', // pixel 0 is sky (valid 0): a part flag and a depth ≠ far there
    ]);
    expect(report.problems.find((p) => p.code === 'DEPTH_INVALID')!.message).toMatch(
      /seq-00000000: left\.depth has 1 values that are not finite and positive \(e\.g\. -2\)/,
    );
  });

  it('masks: MASK_VALUE for values outside the mask, SKY_HAS_SURFACE for a surface where valid is 0', async () => {
    const dir = await copy();
    const frame = TINY.width * TINY.height;
    await rewriteShard(dir, 'shard-000001.tar', (s) =>
      members(s).map((m) => {
        if (s.key !== 'seq-00000003' || !/(valid|occlusion)\.npy$/.test(m.name)) return m;
        const a = decodeNpy(Buffer.from(m.data));
        const v = typedView(a);
        if (m.name === 'left.valid.npy') v[5] = 2;
        else if (m.name === 'right.occlusion.npy') {
          v[0] = 7; // not a code
          v[frame] = 1; // the last frame has no t+1
        } else if (m.name === 'right.valid.npy') {
          // A surface pixel declared sky: its seg/depth now contradict valid.
          const i = v.findIndex((x) => x === 1);
          v[i] = 0;
        } else return m;
        return { name: m.name, data: encodeNpy(a) };
      }),
    );
    const report = await verifyDataset(dir);
    expect(report.problems.map((p) => p.code).sort()).toEqual([
      'MASK_VALUE',
      'MASK_VALUE',
      'MASK_VALUE',
      'SKY_HAS_SURFACE',
    ]);
    const text = report.problems.map((p) => p.message).join('\n');
    expect(text).toMatch(/seq-00000003: left\.valid has 1 pixels not 0 or 1/);
    expect(text).toMatch(/right\.occlusion has 1 pixels not 0, 1 or 2/);
    expect(text).toMatch(/right\.occlusion marks 1 pixels on the last frame/);
    expect(text).toMatch(/right: pixels with valid 0 .*depth ≠ depth_far/);
    expect((await verifyCli(dir)).code).toBe(6);
  });

  it('no manifest: one DATASET_NOT_FOUND line, exit 6', async () => {
    const dir = await copy();
    await rm(join(dir, 'manifest.json'));
    const r = await verifyCli(dir);
    expect(r.code).toBe(6);
    expect(r.err).toEqual([
      expect.stringMatching(
        /^error\[DATASET_NOT_FOUND\]: .* has no manifest\.json \(fix: .*datadiet manifest/,
      ),
    ]);
  });
});

describe('verify follows the manifest layer table (no hard-coded layers)', () => {
  /** A one-sample dataset with only a `flow` layer, float32 [T,H,W,2], written by hand. */
  async function flowDataset(shape: number[]) {
    const dir = await mkdtemp(join(scratch, 'flow-'));
    const w = await ShardWriter.open({ path: join(dir, 'shards', 'shard-000000.tar') });
    const flow = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5);
    await w.addSample('seq-00000000', [
      { name: 'json', data: Buffer.from(JSON.stringify({ key: 'seq-00000000', objects: [] })) },
      { name: 'left.flow.npy', data: encodeNpy(ndarray('float32', shape, flow)) },
    ]);
    const rec = await w.finish();
    await writeJsonAtomic(join(dir, 'manifest.json'), {
      format_version: '1.0',
      sequences: 1,
      eyes: ['left'],
      layers: [{ name: 'flow', dtype: 'float32', shape: [2, 4, 4, 2], members: ['left.flow.npy'] }],
      shards: [{ ...rec, index: 0, first_sequence: 0 }],
    });
    return dir;
  }

  it('a new layer with the declared dtype and shape passes', async () => {
    expect((await verifyDataset(await flowDataset([2, 4, 4, 2]))).problems).toEqual([]);
  });

  it('the same layer with the wrong shape is caught', async () => {
    expect((await verifyDataset(await flowDataset([2, 4, 4, 3]))).problems).toEqual([
      {
        code: 'SHAPE_MISMATCH',
        message:
          "shard shard-000000.tar: seq-00000000: member 'left.flow.npy' has shape [2,4,4,3], manifest says [2,4,4,2]",
      },
    ]);
  });
});
