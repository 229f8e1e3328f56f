import {
  DataTexture,
  RepeatWrapping,
  RGBAFormat,
  SRGBColorSpace,
  LinearMipmapLinearFilter,
  LinearFilter,
} from 'three';
import type { MaterialRecord } from '../../scenes/types.ts';

const SIZE = 64;

function parseHex(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Integer hash → [0, 1); the page must draw the same texture for the same record every time. */
function hash01(x: number, y: number, seed: number): number {
  let h = Math.imul(x, 374761393) + Math.imul(y, 668265263) + Math.imul(seed, 2246822519);
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Tileable value noise in [0, 1], two octaves. */
function noise(u: number, v: number, seed: number): number {
  let total = 0;
  let amp = 0.65;
  for (const cells of [8, 16]) {
    const x = u * cells;
    const y = v * cells;
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const fx = x - x0;
    const fy = y - y0;
    const sx = fx * fx * (3 - 2 * fx);
    const sy = fy * fy * (3 - 2 * fy);
    const at = (i: number, j: number) =>
      hash01(
        (((x0 + i) % cells) + cells) % cells,
        (((y0 + j) % cells) + cells) % cells,
        seed + cells,
      );
    const a = at(0, 0) + (at(1, 0) - at(0, 0)) * sx;
    const b = at(0, 1) + (at(1, 1) - at(0, 1)) * sx;
    total += amp * (a + (b - a) * sy);
    amp = 0.35;
  }
  return total;
}

/** Weight of the pattern colour at texture coordinate (u, v) ∈ [0, 1)². */
function patternWeight(m: MaterialRecord, u: number, v: number): number {
  switch (m.pattern) {
    case 'stripes':
      return Math.floor(u * 4) % 2;
    case 'checker':
      return (Math.floor(u * 4) + Math.floor(v * 4)) % 2;
    case 'dots': {
      const du = ((u * 4) % 1) - 0.5;
      const dv = ((v * 4) % 1) - 0.5;
      return du * du + dv * dv < 0.09 ? 1 : 0;
    }
    case 'noise':
      return noise(u, v, m.pattern_seed);
    default:
      return 0;
  }
}

/** An sRGB texture holding the material's colour and pattern, or null for a solid colour. */
export function patternTexture(
  m: MaterialRecord,
  repeatsPerUnit: [number, number],
): DataTexture | null {
  if (m.pattern === 'solid') return null;
  const a = parseHex(m.color);
  const b = parseHex(m.pattern_color);
  const data = new Uint8Array(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const w = patternWeight(m, (x + 0.5) / SIZE, (y + 0.5) / SIZE);
      const i = (y * SIZE + x) * 4;
      for (let c = 0; c < 3; c++) data[i + c] = Math.round(a[c]! * (1 - w) + b[c]! * w);
      data[i + 3] = 255;
    }
  }
  const tex = new DataTexture(data, SIZE, SIZE, RGBAFormat);
  tex.colorSpace = SRGBColorSpace;
  tex.wrapS = tex.wrapT = RepeatWrapping;
  tex.repeat.set(repeatsPerUnit[0], repeatsPerUnit[1]);
  tex.magFilter = LinearFilter;
  tex.minFilter = LinearMipmapLinearFilter;
  tex.generateMipmaps = true;
  tex.needsUpdate = true;
  return tex;
}
