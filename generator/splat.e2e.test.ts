import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plyFile, splatFile, splatShell, type TestSplat } from '../scenes/asset-fixtures.ts';
import { parseSpec, sampleScene, type SpecInput, type SceneRecord } from '../scenes/index.ts';
import { findBrowser } from './browser.ts';
import { buildManifest } from './dataset-meta.ts';
import { FrameServer } from './frame-server.ts';
import { RenderWorker, type RenderedSequence } from './render-worker.ts';
import { tempDir } from './test-helpers.ts';

const W = 48;
const H = 40;
const BASE: SpecInput = {
  frames: 2,
  width: W,
  height: H,
  seed: 11,
  layers: ['rgb', 'depth', 'seg', 'parts'],
  camera: {
    trajectory: { kind: 'static', distance_m: 2.6, height_m: 1.1, target_height_m: 0.4 },
    jitter_deg: 0,
  },
  // Chunky shapes, so plenty of pixels lie inside an object, away from antialiased edges.
  objects: {
    count: 2,
    categories: ['cup', 'vehicle'],
    scale: 1.1,
    area_radius_m: 0.5,
    motion: { p_moving: 0 },
  },
  lighting: { shadows: false },
};

const member = (seq: RenderedSequence, name: string) =>
  seq.members.find((m) => m.name === name)!.data;
const f32 = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
const u16 = (b: Buffer) => new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));

describe('Gaussian-splat backdrops (Spark in headless Chromium)', () => {
  let server: FrameServer;
  let worker: RenderWorker;
  let plain: SceneRecord;
  let withSplat: SceneRecord;
  let a: RenderedSequence;
  let b: RenderedSequence;
  let splatPath: string;
  let plyPath: string;

  beforeAll(async () => {
    plain = sampleScene(parseSpec(BASE), 0);
    // Colour the shell by where each splat lies for this camera: red on the image's right half of
    // the world (camera x axis), blue above the horizon, so a flipped or mirrored backdrop shows.
    const cam = plain.camera.world_from_camera.left[0]!;
    const right = [cam[0]![0]!, cam[1]![0]!, cam[2]![0]!];
    const shell: TestSplat[] = splatShell({ radius: 8, n: 600 }).map((s) => {
      const p = s.position;
      const isRight = p[0] * right[0]! + p[1] * right[1]! + p[2] * right[2]! > 0;
      return { ...s, rgb: [isRight ? 230 : 20, 60, p[1] > 0 ? 230 : 20] };
    });
    const dir = await tempDir('splat');
    splatPath = join(dir, 'shell.splat');
    plyPath = join(dir, 'shell.ply');
    await writeFile(splatPath, splatFile(shell));
    await writeFile(plyPath, plyFile(shell));
    withSplat = sampleScene(parseSpec({ ...BASE, background: { splat: { path: splatPath } } }), 0);
    server = await FrameServer.start();
    worker = new RenderWorker(server, findBrowser());
    await worker.open();
    a = await worker.render(withSplat, ['rgb', 'depth', 'seg', 'parts']);
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await server?.close();
  });

  it('samples the same objects and camera; the record names the capture', () => {
    expect(withSplat.objects).toEqual(plain.objects);
    expect(withSplat.camera).toEqual(plain.camera);
    expect(withSplat.background.splat).toMatchObject({ format: 'splat', show_ground: false });
    expect(withSplat.background.splat!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps the objects' seg, parts and depth exact (same as without the splat)", async () => {
    b = await worker.render(plain, ['rgb', 'depth', 'seg', 'parts']);
    const segA = u16(member(a, 'left.seg.npy'));
    const segB = u16(member(b, 'left.seg.npy'));
    expect(segA).toEqual(segB);
    expect(member(a, 'left.parts.npy').equals(member(b, 'left.parts.npy'))).toBe(true);
    const dA = f32(member(a, 'left.depth.npy'));
    const dB = f32(member(b, 'left.depth.npy'));
    let objectPx = 0;
    for (let i = 0; i < segA.length; i++) {
      if (segA[i]! > 0) {
        objectPx++;
        expect(dA[i]).toBe(dB[i]);
      } else {
        expect(dA[i]).toBe(plain.camera.far); // splats have no depth: the far value
      }
    }
    expect(objectPx).toBeGreaterThan(50);
  });

  it('draws objects unchanged over the splats, which replace sky and ground', () => {
    const segA = u16(member(a, 'left.seg.npy'));
    const rgbA = member(a, 'left.rgb.npy');
    const rgbB = member(b, 'left.rgb.npy');
    const n = W * H;
    let interior = 0;
    let bgDiffers = 0;
    let bg = 0;
    for (let i = 0; i < n; i++) {
      const x = i % W;
      const y = Math.floor(i / W) % H;
      const id = segA[i]!;
      const same = (j: number) => segA[j] === id;
      // Interior pixels only: antialiasing blends edges with whatever lies behind them.
      if (id > 0 && x > 0 && x < W - 1 && y > 0 && y < H - 1) {
        if (same(i - 1) && same(i + 1) && same(i - W) && same(i + W)) {
          interior++;
          for (let c = 0; c < 3; c++) expect(rgbA[3 * i + c]).toBe(rgbB[3 * i + c]);
        }
      }
      if (id === 0) {
        bg++;
        if (
          Math.abs(rgbA[3 * i]! - rgbB[3 * i]!) + Math.abs(rgbA[3 * i + 2]! - rgbB[3 * i + 2]!) >
          30
        )
          bgDiffers++;
      }
    }
    expect(interior).toBeGreaterThan(10);
    expect(bgDiffers).toBeGreaterThan(0.8 * bg);
  });

  it('is oriented like the world: blue above the horizon, red on the right', () => {
    const segA = u16(member(a, 'left.seg.npy'));
    const rgb = member(a, 'left.rgb.npy');
    const mean = (x0: number, x1: number, y0: number, y1: number, c: number) => {
      let s = 0;
      let k = 0;
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++)
          if (segA[y * W + x] === 0) {
            s += rgb[3 * (y * W + x) + c]!;
            k++;
          }
      return s / k;
    };
    expect(mean(0, W, 0, 4, 2)).toBeGreaterThan(mean(0, W, H - 4, H, 2) + 80); // top rows blue
    expect(mean(W - 4, W, 0, H, 0)).toBeGreaterThan(mean(0, 4, 0, H, 0) + 80); // right columns red
  });

  it('is deterministic: a second render of the same scene is byte-identical', async () => {
    const again = await worker.render(withSplat, ['rgb', 'depth', 'seg', 'parts']);
    for (const m of again.members) expect(m.data.equals(member(a, m.name))).toBe(true);
  });

  it('reads the same capture from a 3DGS .ply', async () => {
    const rec = sampleScene(parseSpec({ ...BASE, background: { splat: { path: plyPath } } }), 0);
    expect(rec.background.splat!.format).toBe('ply');
    const fromPly = member(await worker.render(rec, ['rgb']), 'left.rgb.npy');
    const fromSplat = member(a, 'left.rgb.npy');
    // .splat stores colour and opacity as bytes, .ply as floats: allow a few levels.
    let worst = 0;
    for (let i = 0; i < fromPly.length; i++)
      worst = Math.max(worst, Math.abs(fromPly[i]! - fromSplat[i]!));
    expect(worst).toBeLessThanOrEqual(4);
  });

  it('the manifest states which layers are exact and which are approximate over splats', () => {
    const spec = parseSpec({ ...BASE, background: { splat: { path: splatPath } } });
    const m = buildManifest({ spec, generatorVersion: 'test', fingerprint: 'f', shards: [] });
    const layers = (m.background_splat as { layers: Record<string, string> }).layers;
    expect(layers.seg).toMatch(/exact/);
    expect(layers.depth).toMatch(/absent over splats/);
    expect(
      buildManifest({
        spec: parseSpec(BASE),
        generatorVersion: 'test',
        fingerprint: 'f',
        shards: [],
      }),
    ).not.toHaveProperty('background_splat');
  });
});
