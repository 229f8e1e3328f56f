/**
 * Packing read-back pixels into the dataset's `.npy` byte layouts (rows top-down), and the flow of
 * pixels that see no surface. Pure functions of their inputs; the page's frame loop calls them.
 */
import type { LayerName } from '../../output/layers.ts';
import type { Mat4, SceneRecord } from '../../scenes/types.ts';

export function packRgb(src: Uint8Array, dst: Uint8Array, w: number, h: number) {
  for (let y = 0; y < h; y++) {
    let s = (h - 1 - y) * w * 4; // readPixels rows are bottom-up
    let d = y * w * 3;
    for (let x = 0; x < w; x++, s += 4, d += 3) {
      dst[d] = src[s]!;
      dst[d + 1] = src[s + 1]!;
      dst[d + 2] = src[s + 2]!;
    }
  }
}

export interface GeometryOut {
  w: number;
  h: number;
  far: number;
  depth: Float32Array | null;
  flow: Float32Array | null;
  seg: Uint16Array | null;
  parts: Uint8Array | null;
  valid: Uint8Array | null;
  /** Flow where no surface was drawn; null on the last frame (its flow is defined as zero). */
  skyFlow: ((u: number, v: number) => [number, number]) | null;
  write: (layer: LayerName, bytes: Uint8Array) => void;
}

/** Splits the float geometry pass (z, flow x, flow y, id·2+part) into its layers, rows top-down. */
export function packGeometry(src: Float32Array, o: GeometryOut) {
  const { w, h, depth, flow, seg, parts, valid } = o;
  for (let y = 0; y < h; y++) {
    let s = (h - 1 - y) * w * 4; // readPixels rows are bottom-up
    let d = y * w;
    for (let x = 0; x < w; x++, s += 4, d++) {
      const z = src[s]!;
      const hit = z > 0; // cleared pixels saw no surface
      if (valid) valid[d] = hit ? 1 : 0;
      if (depth) depth[d] = hit ? z : o.far;
      if (flow) {
        if (!o.skyFlow) {
          flow[2 * d] = 0;
          flow[2 * d + 1] = 0;
        } else if (hit) {
          flow[2 * d] = src[s + 1]!;
          flow[2 * d + 1] = src[s + 2]!;
        } else {
          const [fx, fy] = o.skyFlow(x, y);
          flow[2 * d] = fx;
          flow[2 * d + 1] = fy;
        }
      }
      const code = hit ? src[s + 3]! : 0;
      if (seg) seg[d] = code >> 1;
      if (parts) parts[d] = code & 1;
    }
  }
  const bytes = (a: { buffer: ArrayBufferLike; byteLength: number }) =>
    new Uint8Array(a.buffer, 0, a.byteLength);
  if (depth) o.write('depth', bytes(depth));
  if (flow) o.write('flow', bytes(flow));
  if (seg) o.write('seg', bytes(seg));
  if (parts) o.write('parts', parts);
  if (valid) o.write('valid', valid);
}

/** three view space (y up, z back) → OpenCV camera frame, as int8 (unit × 127); 0 = no surface. */
export function packNormals(src: Float32Array, dst: Int8Array, w: number, h: number) {
  for (let y = 0; y < h; y++) {
    let s = (h - 1 - y) * w * 4;
    let d = y * w * 3;
    for (let x = 0; x < w; x++, s += 4, d += 3) {
      if (src[s + 3]! === 0) continue;
      dst[d] = Math.round(src[s]! * 127);
      dst[d + 1] = Math.round(-src[s + 1]! * 127);
      dst[d + 2] = Math.round(-src[s + 2]! * 127);
    }
  }
}

/** Flow of a pixel that sees no surface: a point at infinity moves with the camera's rotation only. */
export function rotationFlow(
  prev: Mat4,
  next: Mat4,
  K: SceneRecord['camera']['K'],
  u: number,
  v: number,
): [number, number] {
  const d = [(u - K.cx) / K.fx, (v - K.cy) / K.fy, 1];
  // world ray = R_prev d; in the next camera: R_nextᵀ (R_prev d)
  const w = [0, 1, 2].map((r) => prev[r]![0]! * d[0]! + prev[r]![1]! * d[1]! + prev[r]![2]!);
  const c = [0, 1, 2].map(
    (k) => next[0]![k]! * w[0]! + next[1]![k]! * w[1]! + next[2]![k]! * w[2]!,
  );
  if (c[2]! <= 1e-9) return [0, 0];
  return [K.fx * (c[0]! / c[2]!) + K.cx - u, K.fy * (c[1]! / c[2]!) + K.cy - v];
}
