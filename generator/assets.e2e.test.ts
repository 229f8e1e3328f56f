import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeRobotGlb } from '../scenes/asset-fixtures.ts';
import { CATEGORIES, type SpecInput, type ObjectRecord } from '../scenes/index.ts';
import { expectDatadietError } from '../core/test-helpers.ts';
import { generateTiny, loadAll, tempDir, view, type LoadedSample } from './test-helpers.ts';

/** One robot asset standing still in the middle of the view, seen by a static camera. */
const spec = (glb: string): SpecInput => ({
  sequences: 1,
  sequences_per_shard: 1,
  frames: 2,
  width: 48,
  height: 48,
  seed: 3,
  layers: ['rgb', 'depth', 'seg', 'parts', 'flow'],
  camera: {
    trajectory: { kind: 'static', distance_m: 2.2, height_m: 1.2, target_height_m: 0.35 },
    jitter_deg: 0,
  },
  objects: {
    count: 1,
    scale: 1.2,
    area_radius_m: 0.01,
    motion: { p_moving: 0 },
    assets: [{ path: glb, category: 'robot', part_node: 'head' }],
  },
  lighting: { shadows: false },
});

describe('user glTF assets in a generated dataset (real Chromium, hand-built GLB)', () => {
  let sample: LoadedSample;
  let manifest: { categories: { index: number; name: string }[]; assets?: unknown };
  let obj: ObjectRecord;

  beforeAll(async () => {
    const dir = await tempDir('asset');
    // Authored at 10× size: normalisation must bring it back to the category's size. The body's
    // colour comes from an embedded PNG texture, the head's from a colour factor.
    const glb = await writeRobotGlb(dir, 'robot.glb', {
      rootScale: 10,
      bodyTexture: [210, 20, 20],
    });
    const { out } = await generateTiny(spec(glb));
    sample = (await loadAll(out))[0]!;
    manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    obj = (sample!.json as unknown as { objects: ObjectRecord[] }).objects[0]!;
  });

  it('labels: the user category gets the label after the procedural ones, in JSON and manifest', () => {
    expect(obj.category).toBe('robot');
    expect(obj.category_index).toBe(CATEGORIES.length);
    expect(obj.diagnostic_part).toBe('head');
    expect(obj.asset?.part_node).toBe('head');
    expect(obj.asset?.diagnostic_nodes).toEqual([2]);
    expect(manifest.categories.at(-1)).toMatchObject({ index: CATEGORIES.length, name: 'robot' });
    expect(manifest.categories).toHaveLength(CATEGORIES.length + 1);
    expect(manifest.assets).toBeDefined();
  });

  it('appears in seg with its id and in parts exactly on the head node', () => {
    const seg = view(sample.arrays.get('left.seg.npy'));
    const parts = view(sample.arrays.get('left.parts.npy'));
    let objectPx = 0;
    let headPx = 0;
    for (let i = 0; i < seg.length; i++) {
      expect([0, obj.id]).toContain(seg[i]);
      if (seg[i] === obj.id) objectPx++;
      if (parts[i] === 1) {
        headPx++;
        expect(seg[i]).toBe(obj.id); // the part lies on its object
      }
    }
    expect(objectPx).toBeGreaterThan(100);
    expect(headPx).toBeGreaterThan(5);
    expect(headPx).toBeLessThan(objectPx / 2);
  });

  it('draws its own materials in rgb: red (textured) body, blue head', () => {
    const rgb = view(sample.arrays.get('left.rgb.npy'));
    const seg = view(sample.arrays.get('left.seg.npy'));
    const parts = view(sample.arrays.get('left.parts.npy'));
    const mean = (pick: (i: number) => boolean) => {
      const sum = [0, 0, 0];
      let n = 0;
      for (let i = 0; i < seg.length; i++)
        if (pick(i)) {
          for (let c = 0; c < 3; c++) sum[c]! += rgb[i * 3 + c]!;
          n++;
        }
      return sum.map((s) => s / n);
    };
    const body = mean((i) => seg[i] === obj.id && parts[i] === 0);
    const head = mean((i) => parts[i] === 1);
    expect(body[0]).toBeGreaterThan(1.5 * Math.max(body[1]!, body[2]!));
    expect(head[2]).toBeGreaterThan(1.5 * Math.max(head[0]!, head[1]!));
  });

  it('has exact depth: the nearest asset pixel is no nearer than the bounding box allows', () => {
    const depth = view(sample.arrays.get('left.depth.npy'));
    const seg = view(sample.arrays.get('left.seg.npy'));
    const cam = (
      sample.json as unknown as { camera: { world_from_camera: { left: number[][][] } } }
    ).camera.world_from_camera.left[0]!;
    const eye = [cam[0]![3]!, cam[1]![3]!, cam[2]![3]!];
    const b = obj.asset!.bounds;
    // Object frame → world: static pose, uniform scale. The box's 8 corners bound the z-depths.
    const pose = obj.poses[0]!;
    const [qx, qy, qz, qw] = pose.quaternion;
    const rot = (v: number[]) => {
      const [x, y, z] = v as [number, number, number];
      const tx = 2 * (qy * z - qz * y);
      const ty = 2 * (qz * x - qx * z);
      const tz = 2 * (qx * y - qy * x);
      return [
        x + qw * tx + (qy * tz - qz * ty),
        y + qw * ty + (qz * tx - qx * tz),
        z + qw * tz + (qx * ty - qy * tx),
      ];
    };
    const fwd = [cam[0]![2]!, cam[1]![2]!, cam[2]![2]!];
    const zs: number[] = [];
    for (const x of [b.min[0], b.max[0]])
      for (const y of [b.min[1], b.max[1]])
        for (const z of [b.min[2], b.max[2]]) {
          const w = rot([x * obj.scale, y * obj.scale, z * obj.scale]).map(
            (v, k) => v + pose.position[k]!,
          );
          zs.push(w.reduce((s, v, k) => s + (v - eye[k]!) * fwd[k]!, 0));
        }
    let near = Infinity;
    let far = 0;
    for (let i = 0; i < 48 * 48; i++)
      if (seg[i] === obj.id) {
        near = Math.min(near, depth[i]!);
        far = Math.max(far, depth[i]!);
      }
    expect(near).toBeGreaterThanOrEqual(Math.min(...zs) - 1e-3);
    expect(far).toBeLessThanOrEqual(Math.max(...zs) + 1e-3);
    // A static object under a static camera has zero flow.
    const flow = view(sample.arrays.get('left.flow.npy'));
    for (let i = 0; i < 48 * 48; i++)
      if (seg[i] === obj.id) expect(Math.abs(flow[2 * i]!)).toBeLessThan(1e-3);
  });
});

describe('resuming a dataset made from asset files', () => {
  it('reuses shards while the asset bytes are the same, and refuses the folder once they change', async () => {
    const dir = await tempDir('asset-resume');
    const glb = await writeRobotGlb(dir, 'robot.glb', { bodyTexture: [210, 20, 20] });
    const { out } = await generateTiny(spec(glb));
    const again = await generateTiny(spec(glb), { out });
    expect(again.result.shardsSkipped).toBe(1);
    expect(again.result.sequencesRendered).toBe(0);
    // Same path, same spec, other bytes: old shards must not be mixed with new ones.
    await writeRobotGlb(dir, 'robot.glb', { bodyTexture: [20, 20, 210], rootScale: 2 });
    await expectDatadietError(generateTiny(spec(glb), { out }), 'OUT_DIR_MISMATCH', /input files/);
  });
});
