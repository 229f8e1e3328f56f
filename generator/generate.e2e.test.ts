import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateTiny, loadAll, shardHashes, view, type LoadedSample } from './test-helpers.ts';

const TINY = { sequences: 4, sequences_per_shard: 2, frames: 3, width: 40, height: 32, seed: 7 };

const hasNumpy = (() => {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('generateDataset on a real headless Chromium', () => {
  let base: { out: string };

  beforeAll(async () => {
    base = await generateTiny(TINY);
  });

  it('writes the manifest, complete shards and previews, and no temp files', async () => {
    const names = await readdir(join(base.out, 'shards'));
    expect(names.sort()).toEqual([
      'shard-000000.json',
      'shard-000000.tar',
      'shard-000001.json',
      'shard-000001.tar',
    ]);
    expect(await readdir(join(base.out, 'previews'))).toEqual([
      'seq-00000000.png',
      'seq-00000001.png',
    ]);
    const samples = await loadAll(base.out);
    expect(samples.map((s) => s.key)).toEqual([
      'seq-00000000',
      'seq-00000001',
      'seq-00000002',
      'seq-00000003',
    ]);
    const s0 = samples[0]!;
    expect(s0.arrays.get('left.rgb.npy')!.shape).toEqual([3, 32, 40, 3]);
    expect(s0.arrays.get('right.depth.npy')!.dtype).toBe('float32');
    expect(s0.arrays.get('left.seg.npy')!.dtype).toBe('uint16');
    expect(s0.arrays.get('left.parts.npy')!.shape).toEqual([3, 32, 40]);
  });

  it('is deterministic: same spec and seed give byte-identical shards, also with 2 workers', async () => {
    const again = await generateTiny(TINY, { workers: 2 });
    expect(await shardHashes(again.out)).toEqual(await shardHashes(base.out));
    // Every sequence counted once, whichever worker rendered it (the CLI's pairs/s uses it).
    expect(again.result.sequencesRendered).toBe(4);
  });

  it('a different seed gives different data', async () => {
    const other = await generateTiny({ ...TINY, seed: 8 });
    const a = await shardHashes(base.out);
    const b = await shardHashes(other.out);
    expect(a[0]).not.toEqual(b[0]);
    expect(a[1]).not.toEqual(b[1]);
  });

  it('seg ids are the JSON objects; parts pixels lie on their object', async () => {
    let partPixels = 0;
    for (const s of await loadAll(base.out)) {
      const ids = new Set(s.json.objects.map((o) => o.id));
      for (const eye of ['left', 'right']) {
        const seg = view(s.arrays.get(`${eye}.seg.npy`));
        const parts = view(s.arrays.get(`${eye}.parts.npy`));
        const seen = new Set<number>();
        for (let i = 0; i < seg.length; i++) {
          const id = Number(seg[i]);
          if (id !== 0) seen.add(id);
          if (parts[i]) {
            partPixels++;
            expect(id).not.toBe(0);
          }
        }
        for (const id of seen) expect(ids.has(id)).toBe(true);
      }
    }
    expect(partPixels).toBeGreaterThan(0);
  });

  it.skipIf(!hasNumpy)('Python tarfile + NumPy read a shard as the manifest describes', () => {
    const script = `
import io, json, sys, tarfile
import numpy as np
root = sys.argv[1]
m = json.load(open(root + '/manifest.json'))
n = 0
for rec in m['shards']:
    with tarfile.open(root + '/' + rec['file']) as t:
        for member in t.getmembers():
            data = t.extractfile(member).read()
            key, name = member.name.split('.', 1)
            if name == 'json':
                j = json.loads(data); assert j['key'] == key and len(j['camera']['world_from_camera']['left']) == j['T']
                n += 1
            elif name == 'txt':
                assert data.decode('utf-8').strip(), name
            elif name == m['motion']['member']:
                a = np.load(io.BytesIO(data))
                assert list(a.shape) == m['motion']['shape'] and str(a.dtype) == m['motion']['dtype'], (name, a.shape)
            else:
                a = np.load(io.BytesIO(data))
                layer = next(l for l in m['layers'] if l['name'] == name.split('.')[1])
                assert list(a.shape) == layer['shape'] and str(a.dtype) == layer['dtype'], (name, a.shape, a.dtype)
print(n)
`;
    expect(execFileSync('python3', ['-c', script, base.out]).toString().trim()).toBe('4');
  });
});

describe('stereo geometry', () => {
  let samples: LoadedSample[];

  beforeAll(async () => {
    // A wide baseline and a static camera make the disparity large and every pixel static.
    const { out } = await generateTiny({
      sequences: 3,
      sequences_per_shard: 3,
      frames: 1,
      width: 96,
      height: 96,
      seed: 3,
      camera: { baseline_m: 0.4, trajectory: { kind: 'static' }, jitter_deg: 0 },
      objects: { count: [2, 3] },
      render: { antialias: false },
    });
    samples = await loadAll(out);
  });

  it('disparity fx·B/Z from left depth warps the right image onto the left', () => {
    for (const s of samples) {
      const { W, H, K, baseline_m: B } = s.json;
      const depth = view(s.arrays.get('left.depth.npy')) as Float32Array;
      const rdepth = view(s.arrays.get('right.depth.npy')) as Float32Array;
      const left = view(s.arrays.get('left.rgb.npy'));
      const right = view(s.arrays.get('right.rgb.npy'));
      const lseg = view(s.arrays.get('left.seg.npy'));
      const rseg = view(s.arrays.get('right.seg.npy'));
      let warpErr = 0;
      let shiftFree = 0;
      let n = 0;
      let segAgree = 0;
      let segN = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const i = y * W + x;
          const z = depth[i]!;
          if (z >= s.json.depth_far) continue;
          const d = (K.fx * B) / z;
          const xr = x - d;
          const x0 = Math.floor(xr);
          if (x0 < 0 || x0 + 1 >= W || d < 1) continue;
          // Half-occlusions: the point must be what the right eye sees there (same depth).
          const seen = (k: number) => Math.abs(rdepth[y * W + k]! - z) < 0.05 * z;
          if (!seen(x0) || !seen(x0 + 1)) continue;
          const a = xr - x0;
          for (let c = 0; c < 3; c++) {
            const r = (1 - a) * right[(y * W + x0) * 3 + c]! + a * right[(y * W + x0 + 1) * 3 + c]!;
            warpErr += Math.abs(r - left[i * 3 + c]!);
            shiftFree += Math.abs(right[i * 3 + c]! - left[i * 3 + c]!);
          }
          n++;
          if (lseg[i]) {
            segN++;
            if (rseg[y * W + Math.round(xr)] === lseg[i]) segAgree++;
          }
        }
      }
      expect(n).toBeGreaterThan(W * H * 0.3);
      // Far better than not shifting at all (occlusions and shading keep it above zero).
      expect(warpErr / n).toBeLessThan(0.35 * (shiftFree / n));
      expect(segAgree / segN).toBeGreaterThan(0.9);
    }
  });
});
