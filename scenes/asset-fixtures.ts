/**
 * Small asset files for tests, built by hand: a GLB with a box body and a box head (a named part
 * node), and Gaussian-splat files (.splat and .ply). Nothing is downloaded.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { packGlb } from './assets.ts';
import type { Vec3 } from './types.ts';

/** 8 corners and 12 triangles of an axis-aligned box centred on the origin. */
function boxArrays(size: Vec3): { positions: Float32Array; indices: Uint16Array } {
  const [x, y, z] = size.map((s) => s / 2) as Vec3;
  const positions = new Float32Array(
    [
      [-x, -y, -z],
      [x, -y, -z],
      [x, y, -z],
      [-x, y, -z],
      [-x, -y, z],
      [x, -y, z],
      [x, y, z],
      [-x, y, z],
    ].flat(),
  );
  // prettier-ignore
  const indices = new Uint16Array([
    0, 2, 1, 0, 3, 2, 4, 5, 6, 4, 6, 7, 0, 1, 5, 0, 5, 4,
    3, 7, 6, 3, 6, 2, 0, 4, 7, 0, 7, 3, 1, 2, 6, 1, 6, 5,
  ]);
  return { positions, indices };
}

export interface RobotGlbOptions {
  /** Uniform scale on the root node (an asset authored in other units). */
  rootScale?: number;
  bodyColor?: [number, number, number];
  headColor?: [number, number, number];
  /** Give the body an embedded PNG texture of this sRGB colour (0–255) instead of a colour factor. */
  bodyTexture?: [number, number, number];
}

function solidPng(rgb: [number, number, number]): Uint8Array {
  const png = new PNG({ width: 2, height: 2 });
  for (let i = 0; i < 4; i++) png.data.set([...rgb, 255], i * 4);
  return new Uint8Array(PNG.sync.write(png));
}

/**
 * A 'robot': root node (scaled) → 'body' (box 1 × 0.6 × 0.5, mesh 'body-mesh') and 'head' (box
 * 0.3 × 0.3 × 0.3 at (0.55, 0.35, 0), mesh 'head-mesh'). Colours are linear base colours.
 */
export function robotGlb(opts: RobotGlbOptions = {}): Uint8Array {
  const body = boxArrays([1, 0.6, 0.5]);
  const head = boxArrays([0.3, 0.3, 0.3]);
  const chunks: Uint8Array[] = [];
  const views: { buffer: 0; byteOffset: number; byteLength: number; target?: number }[] = [];
  let offset = 0;
  const addView = (data: Float32Array | Uint16Array | Uint8Array, target?: number) => {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const pad = (4 - (bytes.length % 4)) % 4;
    views.push({
      buffer: 0,
      byteOffset: offset,
      byteLength: bytes.length,
      ...(target ? { target } : {}),
    } as (typeof views)[number]);
    chunks.push(bytes, new Uint8Array(pad));
    offset += bytes.length + pad;
    return views.length - 1;
  };
  const accessors: object[] = [];
  const addBox = (b: ReturnType<typeof boxArrays>) => {
    const p = b.positions;
    const min = [0, 1, 2].map((k) => Math.min(...p.filter((_, i) => i % 3 === k)));
    const max = [0, 1, 2].map((k) => Math.max(...p.filter((_, i) => i % 3 === k)));
    accessors.push({
      bufferView: addView(p, 34962),
      componentType: 5126,
      count: p.length / 3,
      type: 'VEC3',
      min,
      max,
    });
    accessors.push({
      bufferView: addView(b.indices, 34963),
      componentType: 5123,
      count: b.indices.length,
      type: 'SCALAR',
    });
    return { POSITION: accessors.length - 2, indices: accessors.length - 1 };
  };
  const bodyAcc: Record<string, number> = addBox(body);
  const headAcc = addBox(head);
  const textured = opts.bodyTexture !== undefined;
  if (textured) {
    accessors.push({
      bufferView: addView(new Float32Array(16).fill(0.5), 34962),
      componentType: 5126,
      count: 8,
      type: 'VEC2',
    });
    bodyAcc.TEXCOORD_0 = accessors.length - 1;
  }
  const imageView = textured ? addView(solidPng(opts.bodyTexture!)) : -1;
  const bin = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    bin.set(c, at);
    at += c.length;
  }
  const s = opts.rootScale ?? 1;
  const json = {
    asset: { version: '2.0', generator: 'datadiet test fixture' },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [
      { name: 'robot', children: [1, 2], scale: [s, s, s] },
      { name: 'body', mesh: 0 },
      { name: 'head', mesh: 1, translation: [0.55, 0.35, 0] },
    ],
    meshes: [
      {
        name: 'body-mesh',
        primitives: [
          {
            attributes: {
              POSITION: bodyAcc.POSITION,
              ...(textured ? { TEXCOORD_0: bodyAcc.TEXCOORD_0 } : {}),
            },
            indices: bodyAcc.indices,
            material: 0,
          },
        ],
      },
      {
        name: 'head-mesh',
        primitives: [
          { attributes: { POSITION: headAcc.POSITION }, indices: headAcc.indices, material: 1 },
        ],
      },
    ],
    materials: [
      {
        name: 'body',
        pbrMetallicRoughness: {
          baseColorFactor: textured ? [1, 1, 1, 1] : [...(opts.bodyColor ?? [0.8, 0.05, 0.05]), 1],
          ...(textured ? { baseColorTexture: { index: 0 } } : {}),
          metallicFactor: 0,
          roughnessFactor: 0.8,
        },
      },
      {
        name: 'head',
        pbrMetallicRoughness: {
          baseColorFactor: [...(opts.headColor ?? [0.05, 0.1, 0.8]), 1],
          metallicFactor: 0,
          roughnessFactor: 0.8,
        },
      },
    ],
    ...(textured
      ? {
          images: [{ bufferView: imageView, mimeType: 'image/png' }],
          samplers: [{}],
          textures: [{ source: 0, sampler: 0 }],
        }
      : {}),
    accessors,
    bufferViews: views,
    buffers: [{ byteLength: bin.length }],
  };
  return packGlb(json, bin);
}

export async function writeRobotGlb(dir: string, name = 'robot.glb', opts: RobotGlbOptions = {}) {
  const path = join(dir, name);
  await writeFile(path, robotGlb(opts));
  return path;
}

/** One splat: centre, per-axis standard deviation (m), sRGB colour 0–255, opacity 0–1. */
export interface TestSplat {
  position: Vec3;
  scale: Vec3;
  rgb: [number, number, number];
  opacity: number;
}

/** antimatter15 `.splat`: 32 bytes per splat (position f32×3, scale f32×3, rgba u8×4, quat u8×4). */
export function splatFile(splats: TestSplat[]): Uint8Array {
  const out = new Uint8Array(splats.length * 32);
  const dv = new DataView(out.buffer);
  splats.forEach((s, i) => {
    const at = i * 32;
    s.position.forEach((v, k) => dv.setFloat32(at + 4 * k, v, true));
    s.scale.forEach((v, k) => dv.setFloat32(at + 12 + 4 * k, v, true));
    out.set([...s.rgb, Math.round(s.opacity * 255)], at + 24);
    out.set([255, 128, 128, 128], at + 28); // identity quaternion (w, x, y, z) as (q·128 + 128)
  });
  return out;
}

/**
 * A shell of splats around the scene (Fibonacci sphere of `radius` m, `n` splats), so every view
 * direction ends on splats; colour varies with direction (red-green with azimuth, blue with height).
 */
export function splatShell(opts: { radius: number; n: number; size?: number }): TestSplat[] {
  const out: TestSplat[] = [];
  const size = opts.size ?? (2.2 * opts.radius) / Math.sqrt(opts.n);
  for (let i = 0; i < opts.n; i++) {
    const y = 1 - (2 * (i + 0.5)) / opts.n;
    const r = Math.sqrt(1 - y * y);
    const a = i * Math.PI * (3 - Math.sqrt(5));
    const d: Vec3 = [r * Math.cos(a), y, r * Math.sin(a)];
    out.push({
      position: [d[0] * opts.radius, d[1] * opts.radius, d[2] * opts.radius],
      scale: [size, size, size],
      rgb: [
        Math.round(127 + 120 * Math.cos(a)),
        Math.round(127 + 120 * Math.sin(a)),
        Math.round(127 + 120 * y),
      ],
      opacity: 1,
    });
  }
  return out;
}

/** The same splats as a 3D Gaussian splatting `.ply` (SH degree 0, log scales, logit opacity). */
export function plyFile(splats: TestSplat[]): Uint8Array {
  const props = ['x', 'y', 'z', 'f_dc_0', 'f_dc_1', 'f_dc_2', 'opacity'];
  props.push('scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3');
  const header = [
    'ply',
    'format binary_little_endian 1.0',
    `element vertex ${splats.length}`,
    ...props.map((p) => `property float ${p}`),
    'end_header',
    '',
  ].join('\n');
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(head.length + splats.length * props.length * 4);
  out.set(head);
  const dv = new DataView(out.buffer);
  const SH_C0 = 0.28209479177387814;
  const alpha = (a: number) => Math.min(Math.max(a, 1e-4), 1 - 1e-4);
  splats.forEach((s, i) => {
    const values = [
      ...s.position,
      ...s.rgb.map((c) => (c / 255 - 0.5) / SH_C0),
      Math.log(alpha(s.opacity) / (1 - alpha(s.opacity))),
      ...s.scale.map(Math.log),
      1,
      0,
      0,
      0,
    ];
    values.forEach((v, k) => dv.setFloat32(head.length + (i * props.length + k) * 4, v, true));
  });
  return out;
}
