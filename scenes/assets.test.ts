import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatadietError } from '../core/index.ts';
import { tempDir } from '../generator/test-helpers.ts';
import { robotGlb, writeRobotGlb } from './asset-fixtures.ts';
import { runCli } from '../cli/test-helpers.ts';
import {
  assetFiles,
  categorySize,
  categoryTable,
  loadAssetFile,
  loadSplatFile,
  unpackGlb,
} from './assets.ts';
import { categoryIndex, CATEGORIES } from './categories.ts';
import { parseSpec } from './load-spec.ts';
import { prepareSampler, sampleScene } from './sampler.ts';
import { rotate } from './matrix.ts';
import type { Vec3 } from './types.ts';

let dir: string;
let glb: string;

beforeAll(async () => {
  dir = await tempDir('assets');
  glb = await writeRobotGlb(dir, 'robot.glb', { rootScale: 10 });
});

describe('reading glTF in Node (no DOM)', () => {
  it('walks the node tree: bounds include the root scale and the head translation', () => {
    const a = loadAssetFile(glb);
    // body ±(0.5, 0.3, 0.25), head 0.3³ at (0.55, 0.35, 0); all × 10.
    expect(a.bounds.min.map((v) => +v.toFixed(4))).toEqual([-5, -3, -2.5]);
    expect(a.bounds.max.map((v) => +v.toFixed(4))).toEqual([7, 5, 2.5]);
    expect(a.nodesNamed('head')).toEqual([2]);
    expect(a.nodesNamed('head-mesh')).toEqual([2]); // a mesh name works too
    expect(a.nodesNamed('robot')).toEqual([0, 1, 2]); // a node brings its descendants
    expect(a.nodesNamed('tail')).toEqual([]);
    // The hull points are vertices that span the same box as all vertices.
    expect(a.hullPoints.length / 3).toBeGreaterThanOrEqual(8);
    for (let k = 0; k < 3; k++) {
      const coord = a.hullPoints.filter((_, i) => i % 3 === k);
      expect(Math.min(...coord)).toBeCloseTo(a.bounds.min[k]!, 5);
      expect(Math.max(...coord)).toBeCloseTo(a.bounds.max[k]!, 5);
    }
  });

  it('a .gltf with an external .bin reads the same geometry and ships a self-contained GLB', async () => {
    const { json, bin } = unpackGlb(robotGlb({ rootScale: 10 }));
    const sub = join(dir, 'split');
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, 'robot.bin'), bin!);
    (json.buffers![0] as { uri?: string }).uri = 'robot.bin';
    await writeFile(join(sub, 'robot.gltf'), JSON.stringify(json));
    const a = loadAssetFile(join(sub, 'robot.gltf'));
    expect(a.bounds).toEqual(loadAssetFile(glb).bounds);
    const shipped = unpackGlb(a.shipBytes);
    expect(shipped.json.buffers![0]!.uri!.startsWith('data:application/octet-stream;base64,')).toBe(
      true,
    );
    expect(assetFiles(sub)).toEqual([`${sub}/robot.bin`.replace('.bin', '.gltf')]);
  });

  it('rejects files it cannot draw faithfully, naming the file', async () => {
    const bad = join(dir, 'bad.glb');
    await writeFile(bad, 'not a glb at all');
    expect(() => loadAssetFile(bad)).toThrow(DatadietError);
    expect(() => loadAssetFile(join(dir, 'missing.glb'))).toThrow(/cannot read asset/);
    const { json, bin } = unpackGlb(robotGlb());
    const draco = join(dir, 'draco.glb');
    const { packGlb } = await import('./assets.ts');
    await writeFile(
      draco,
      packGlb({ ...json, extensionsRequired: ['KHR_draco_mesh_compression'] }, bin),
    );
    expect(() => loadAssetFile(draco)).toThrow(/KHR_draco_mesh_compression/);
  });
});

describe('sampling scenes with assets', () => {
  const specWith = (extra: object = {}) =>
    parseSpec({
      sequences: 4,
      objects: {
        count: [2, 3],
        assets: [
          { path: glb, category: 'robot', part_node: 'head' },
          { path: glb, category: 'cup' },
        ],
        ...extra,
      },
    });

  it('labels: procedural names share their label, new names follow the procedural ones', () => {
    const table = categoryTable(specWith());
    expect(table).toHaveLength(CATEGORIES.length + 1);
    expect(table.at(-1)).toMatchObject({
      name: 'robot',
      index: CATEGORIES.length,
      source: 'asset',
    });
    const objs = [0, 1, 2, 3].flatMap((i) => sampleScene(specWith(), i).objects);
    const robot = objs.find((o) => o.category === 'robot')!;
    const cup = objs.find((o) => o.category === 'cup')!;
    expect(robot.category_index).toBe(CATEGORIES.length);
    expect(cup.category_index).toBe(categoryIndex('cup'));
    expect(cup.asset!.part_node).toBeNull();
    expect(cup.diagnostic_part).toBe('');
    expect(robot.parts).toEqual([]);
  });

  it('normalises: longest side = the category size, standing on y = 0, centred', () => {
    const o = sampleScene(specWith(), 0).objects[0]!;
    const { min, max } = o.asset!.bounds;
    const size = o.category === 'robot' ? 1 : categorySize(o.category);
    expect(Math.max(...[0, 1, 2].map((k) => max[k]! - min[k]!))).toBeCloseTo(size, 6);
    expect(min[1]).toBeCloseTo(0, 9);
    expect(min[0] + max[0]).toBeCloseTo(0, 9);
    expect(min[2] + max[2]).toBeCloseTo(0, 9);
  });

  it('is deterministic, and specs without assets sample exactly as before', () => {
    expect(sampleScene(specWith(), 2)).toEqual(sampleScene(specWith(), 2));
    const plain = parseSpec({ sequences: 4 });
    const mixed = parseSpec({
      sequences: 4,
      objects: { assets: [{ path: glb, category: 'robot' }], asset_probability: 0 },
    });
    expect(sampleScene(mixed, 1)).toEqual(sampleScene(plain, 1));
  });

  it('a folder entry picks among its files, recorded as source (the entry) and file', async () => {
    const folder = join(dir, 'robots');
    await mkdir(join(folder, 'nested'), { recursive: true });
    await writeRobotGlb(folder, 'a.glb');
    await writeRobotGlb(join(folder, 'nested'), 'b.glb', { rootScale: 3 });
    const spec = parseSpec({
      sequences: 12,
      objects: { count: 2, assets: [{ path: folder, category: 'robot' }] },
    });
    const files = new Set(
      Array.from({ length: 12 }, (_, i) => sampleScene(spec, i).objects.map((o) => o.asset!))
        .flat()
        .map((a) => {
          expect(a.source).toBe(folder);
          return a.file;
        }),
    );
    expect([...files].sort()).toEqual([`${folder}/a.glb`, `${folder}/nested/b.glb`]);
  });

  it('a missing part node fails before rendering with the names that exist', async () => {
    const spec = parseSpec({
      objects: { assets: [{ path: glb, category: 'robot', part_node: 'tail' }] },
    });
    await expect(prepareSampler(spec)).rejects.toThrow(/no node or mesh named 'tail'/);
  });

  it('physics: assets fall with hull colliders and come to rest on the floor', async () => {
    for (const collider of ['hull', 'box'] as const) {
      const spec = parseSpec({
        frames: 40,
        fps: 10,
        objects: {
          count: 2,
          motion: { kind: 'physics', drop_height_m: 0.5, throw_speed_m_s: 0 },
          assets: [{ path: glb, category: 'robot', collider }],
        },
      });
      await prepareSampler(spec);
      for (const o of sampleScene(spec, 0).objects) {
        const last = o.poses.at(-1)!;
        // Lowest point of the bounding box's corners in the world.
        const { min, max } = o.asset!.bounds;
        let lowest = Infinity;
        for (const x of [min[0], max[0]])
          for (const y of [min[1], max[1]])
            for (const z of [min[2], max[2]]) {
              const p = rotate(last.quaternion, [x * o.scale, y * o.scale, z * o.scale] as Vec3);
              lowest = Math.min(lowest, p[1] + last.position[1]);
            }
        expect(o.poses[0]!.position[1]).toBeGreaterThan(0.5);
        // Resting on the floor: a box corner touches it (hull corners are the box's corners here).
        expect(Math.abs(lowest)).toBeLessThan(0.03);
      }
    }
  });
});

describe('user mistakes', () => {
  it('spec: a category name must be a plain label', () => {
    expect(() => parseSpec({ objects: { assets: [{ path: glb, category: 'My Robot' }] } })).toThrow(
      /objects\.assets\.0\.category/,
    );
  });

  it('splat files: unknown format and a broken header are named', async () => {
    const odd = join(dir, 'capture.bin');
    await writeFile(odd, 'ply\n');
    expect(() => loadSplatFile({ path: odd })).toThrow(/unknown format/);
    const ply = join(dir, 'broken.ply');
    await writeFile(ply, 'PLY?');
    expect(() => loadSplatFile({ path: ply })).toThrow(/no PLY header/);
  });

  it('the CLI reports a missing asset as one line with exit code 2, before rendering', async () => {
    const specFile = join(dir, 'spec.json');
    await writeFile(
      specFile,
      JSON.stringify({ objects: { assets: [{ path: join(dir, 'nope.glb'), category: 'robot' }] } }),
    );
    const r = await runCli(['generate', '--spec', specFile, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/ASSET_NOT_FOUND.*nope\.glb/);
    expect(r.err.join('\n')).not.toMatch(/\n\s+at /); // no stack trace
  });
});
