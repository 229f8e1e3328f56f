import { beforeAll, describe, expect, it } from 'vitest';
import type { Mat4 } from '../scenes/index.ts';
import { generateTiny, loadAll, view, type LoadedSample } from './test-helpers.ts';

/**
 * The occlusion and valid layers judged by physics, with this file's own geometry (not
 * generator/occlusion.ts): a point marked visible must reappear where the renderer's flow sends
 * it (same surface, same depth, same colour); a point marked hidden must find a nearer surface
 * there; a point marked out of view must be sent outside the image.
 */

const toWorld = (m: Mat4, p: number[]) =>
  [0, 1, 2].map((i) => m[i]![0]! * p[0]! + m[i]![1]! * p[1]! + m[i]![2]! * p[2]! + m[i]![3]!);
function toCamera(m: Mat4, p: number[]) {
  const d = [0, 1, 2].map((i) => p[i]! - m[i]![3]!);
  return [0, 1, 2].map((k) => m[0]![k]! * d[0]! + m[1]![k]! * d[1]! + m[2]![k]! * d[2]!);
}

interface Pixel {
  code: number;
  /** The pixel nearest to where the point lands at t+1 shows the same object (or background). */
  sameSeg: boolean;
  /** One of the 4 pixels around where it lands does. */
  sameSegAround: boolean;
  /** Static background only: rendered depth at t+1 minus the point's own depth there (relative). */
  depthGap: number | null;
  colour: number;
}

describe('occlusion and valid layers', () => {
  let samples: LoadedSample[];
  const pixels: Pixel[] = [];
  let outsideMismatch = 0;
  let outsideMarked = 0;

  beforeAll(async () => {
    const { out } = await generateTiny({
      sequences: 3,
      sequences_per_shard: 3,
      frames: 4,
      width: 48,
      height: 48,
      seed: 5,
      layers: ['rgb', 'depth', 'seg', 'flow', 'valid', 'occlusion'],
      camera: { trajectory: { kind: 'orbit', speed_deg_s: [60, 90] }, jitter_deg: 2 },
      objects: { count: [3, 4], motion: { p_moving: 1, speed_m_s: [1, 2] } },
      render: { antialias: false },
      lighting: { shadows: false },
    });
    samples = await loadAll(out);
    for (const s of samples) {
      const { W, H, T, K, depth_far: far } = s.json;
      const cams = (s.json as unknown as { camera: { world_from_camera: { left: Mat4[] } } }).camera
        .world_from_camera.left;
      const rgb = view(s.arrays.get('left.rgb.npy'));
      const depth = view(s.arrays.get('left.depth.npy')) as Float32Array;
      const seg = view(s.arrays.get('left.seg.npy'));
      const flow = view(s.arrays.get('left.flow.npy')) as Float32Array;
      const valid = view(s.arrays.get('left.valid.npy'));
      const occ = view(s.arrays.get('left.occlusion.npy'));
      const n = W * H;
      // Sky and valid agree with the other layers; the last frame has no t+1.
      for (let i = 0; i < T * n; i++) {
        if (valid[i] === 0) {
          expect(seg[i]).toBe(0);
          expect(depth[i]).toBe(Math.fround(far));
        }
      }
      expect(occ.subarray((T - 1) * n).every((v) => v === 0)).toBe(true);
      for (let t = 0; t + 1 < T; t++) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const i = t * n + y * W + x;
            if (valid[i] === 0) continue;
            const u = x + flow[2 * i]!;
            const v = y + flow[2 * i + 1]!;
            const inside = u >= -0.5 && u < W - 0.5 && v >= -0.5 && v < H - 0.5;
            const nearEdge = Math.min(
              Math.abs(u + 0.5),
              Math.abs(W - 0.5 - u),
              Math.abs(v + 0.5),
              Math.abs(H - 0.5 - v),
            );
            if (occ[i] === 2) outsideMarked++;
            if ((occ[i] === 2) === inside && nearEdge > 0.01) outsideMismatch++;
            if (!inside || occ[i] === 2) continue;
            const j = (t + 1) * n + Math.round(v) * W + Math.round(u);
            let depthGap: number | null = null;
            if (seg[i] === 0) {
              const z = depth[i]!;
              const pt = toWorld(cams[t]!, [((x - K.cx) / K.fx) * z, ((y - K.cy) / K.fy) * z, z]);
              const zNext = toCamera(cams[t + 1]!, pt)[2]!;
              // For a plane 1/z is affine in the image: interpolate it bilinearly.
              const x0 = Math.min(Math.max(Math.floor(u), 0), W - 2);
              const y0 = Math.min(Math.max(Math.floor(v), 0), H - 2);
              const [a, b] = [u - x0, v - y0];
              const at = (xx: number, yy: number) => {
                const k = (t + 1) * n + yy * W + xx;
                return valid[k] === 1 ? 1 / depth[k]! : 0;
              };
              const inv =
                (1 - b) * ((1 - a) * at(x0, y0) + a * at(x0 + 1, y0)) +
                b * ((1 - a) * at(x0, y0 + 1) + a * at(x0 + 1, y0 + 1));
              depthGap = inv > 0 ? (1 / inv - zNext) / zNext : Infinity;
            }
            let sameSegAround = false;
            for (const yy of [Math.floor(v), Math.floor(v) + 1])
              for (const xx of [Math.floor(u), Math.floor(u) + 1])
                if (xx >= 0 && xx < W && yy >= 0 && yy < H)
                  sameSegAround ||= seg[(t + 1) * n + yy * W + xx] === seg[i];
            let colour = 0;
            for (let c = 0; c < 3; c++) colour += Math.abs(rgb[3 * j + c]! - rgb[3 * i + c]!);
            pixels.push({
              code: occ[i]!,
              sameSeg: seg[j] === seg[i],
              sameSegAround,
              depthGap,
              colour: colour / 3,
            });
          }
        }
      }
    }
  });

  it('marks real occlusions and departures in a moving scene', () => {
    const hidden = pixels.filter((p) => p.code === 1).length;
    expect(hidden).toBeGreaterThan(20);
    expect(outsideMarked).toBeGreaterThan(20);
    expect(pixels.length).toBeGreaterThan(10_000);
  });

  it('out of view (2) exactly where the rendered flow leaves the image', () => {
    expect(outsideMismatch).toBe(0);
  });

  it('a point marked visible reappears on the same surface at the same depth', () => {
    const visible = pixels.filter((p) => p.code === 0);
    expect(visible.filter((p) => p.sameSegAround).length / visible.length).toBeGreaterThan(0.99);
    const statics = visible.filter((p) => p.depthGap !== null).map((p) => Math.abs(p.depthGap!));
    statics.sort((a, b) => a - b);
    expect(statics[Math.floor(statics.length * 0.9)]!).toBeLessThan(0.02);
  });

  it('a point marked hidden finds another, nearer surface where it lands', () => {
    const hidden = pixels.filter((p) => p.code === 1);
    const explained = hidden.filter(
      (p) => !p.sameSeg || (p.depthGap !== null && p.depthGap < -0.001),
    ).length;
    expect(explained / hidden.length).toBeGreaterThan(0.9);
  });

  it('colour is kept where visible and changes where hidden', () => {
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const visible = mean(pixels.filter((p) => p.code === 0).map((p) => p.colour));
    const hidden = mean(pixels.filter((p) => p.code === 1).map((p) => p.colour));
    expect(hidden).toBeGreaterThan(3 * visible);
  });
});
