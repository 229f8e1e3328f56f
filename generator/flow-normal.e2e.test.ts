import { beforeAll, describe, expect, it } from 'vitest';
import type { Mat4 } from '../scenes/index.ts';
import { generateTiny, loadAll, view, type LoadedSample } from './test-helpers.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Bilinear sample of an [H,W,3] uint8 image at (x, y); null outside. */
function sample(img: ArrayLike<number>, w: number, h: number, x: number, y: number, c: number) {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  if (x0 < 0 || y0 < 0 || x0 + 1 >= w || y0 + 1 >= h) return null;
  const a = x - x0;
  const b = y - y0;
  const at = (xx: number, yy: number) => img[(yy * w + xx) * 3 + c]!;
  return (
    (1 - b) * ((1 - a) * at(x0, y0) + a * at(x0 + 1, y0)) +
    b * ((1 - a) * at(x0, y0 + 1) + a * at(x0 + 1, y0 + 1))
  );
}

/** x_cam = R_camᵀ (world − t_cam) for a row-major world_from_camera. */
function toCamera(m: Mat4, p: number[]) {
  const d = [0, 1, 2].map((i) => p[i]! - m[i]![3]!);
  return [0, 1, 2].map((k) => m[0]![k]! * d[0]! + m[1]![k]! * d[1]! + m[2]![k]! * d[2]!);
}
const toWorld = (m: Mat4, p: number[]) =>
  [0, 1, 2].map((i) => m[i]![0]! * p[0]! + m[i]![1]! * p[1]! + m[i]![2]! * p[2]! + m[i]![3]!);

describe('flow and normal layers', () => {
  let samples: LoadedSample[];
  let poses: { left: Mat4[] }[];

  beforeAll(async () => {
    const { out } = await generateTiny({
      sequences: 3,
      sequences_per_shard: 3,
      frames: 3,
      width: 64,
      height: 64,
      seed: 11,
      layers: ['rgb', 'depth', 'seg', 'flow', 'normal', 'valid', 'occlusion'],
      camera: { trajectory: { kind: 'orbit', speed_deg_s: [40, 60] }, jitter_deg: 1 },
      objects: { count: [2, 3], motion: { p_moving: 1, speed_m_s: [0.5, 1] } },
      render: { antialias: false },
      lighting: { shadows: false }, // moving shadows would change colours that flow cannot explain
      background: { grounds: ['tiles'] }, // a high-contrast ground, so a wrong flow shows
    });
    samples = await loadAll(out);
    poses = samples.map(
      (s) =>
        (s.json as unknown as { camera: { world_from_camera: { left: Mat4[] } } }).camera
          .world_from_camera,
    );
  });

  it('warping frame t+1 by the flow reproduces frame t far better than zero flow', () => {
    for (const s of samples) {
      const { W, H, T } = s.json;
      const rgb = view(s.arrays.get('left.rgb.npy'));
      const flow = view(s.arrays.get('left.flow.npy')) as Float32Array;
      const valid = view(s.arrays.get('left.valid.npy'));
      const occlusion = view(s.arrays.get('left.occlusion.npy'));
      let warped = 0;
      let still = 0;
      let n = 0;
      for (let t = 0; t + 1 < T; t++) {
        const cur = rgb.subarray(t * W * H * 3, (t + 1) * W * H * 3);
        const nxt = rgb.subarray((t + 1) * W * H * 3, (t + 2) * W * H * 3);
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const i = t * W * H + y * W + x;
            // Only points still visible at t+1 can match (occlusion 0), and only surfaces.
            if (valid[i] === 0 || occlusion[i] !== 0) continue;
            const fx = flow[2 * i]!;
            const fy = flow[2 * i + 1]!;
            for (let c = 0; c < 3; c++) {
              const a = sample(nxt, W, H, x + fx, y + fy, c);
              const b = sample(nxt, W, H, x, y, c);
              if (a === null || b === null) continue;
              warped += Math.abs(a - cur[(y * W + x) * 3 + c]!);
              still += Math.abs(b - cur[(y * W + x) * 3 + c]!);
              n++;
            }
          }
        }
      }
      expect(n).toBeGreaterThan(1000);
      expect(warped / n).toBeLessThan(0.5 * (still / n));
    }
  });

  it('on static background pixels, flow equals depth + camera poses + intrinsics (median < 0.1 px)', () => {
    const errors: number[] = [];
    samples.forEach((s, k) => {
      const { W, H, T, K } = s.json;
      const flow = view(s.arrays.get('left.flow.npy')) as Float32Array;
      const depth = view(s.arrays.get('left.depth.npy')) as Float32Array;
      const seg = view(s.arrays.get('left.seg.npy'));
      const cams = poses[k]!.left;
      for (let t = 0; t + 1 < T; t++) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const i = t * W * H + y * W + x;
            const z = depth[i]!;
            if (seg[i] !== 0 || z >= s.json.depth_far) continue;
            const world = toWorld(cams[t]!, [((x - K.cx) / K.fx) * z, ((y - K.cy) / K.fy) * z, z]);
            const c = toCamera(cams[t + 1]!, world);
            const u = (K.fx * c[0]!) / c[2]! + K.cx;
            const v = (K.fy * c[1]!) / c[2]! + K.cy;
            errors.push(Math.hypot(flow[2 * i]! - (u - x), flow[2 * i + 1]! - (v - y)));
          }
        }
      }
      // The last frame's flow is defined as zero.
      const lastFrame = flow.subarray(2 * (T - 1) * W * H);
      expect(lastFrame.every((f) => f === 0)).toBe(true);
    });
    expect(errors.length).toBeGreaterThan(1000);
    expect(median(errors)).toBeLessThan(0.1);
  });

  it('ground normals point up in the world; every normal faces the camera', () => {
    const angles: number[] = [];
    let leaning = 0;
    let visible = 0;
    samples.forEach((s, k) => {
      const { W, H, T } = s.json;
      const normal = view(s.arrays.get('left.normal.npy'));
      const valid = view(s.arrays.get('left.valid.npy'));
      const seg = view(s.arrays.get('left.seg.npy'));
      for (let i = 0; i < T * W * H; i++) {
        const cam = poses[k]!.left[Math.floor(i / (W * H))]!;
        const up = toCamera(cam, [cam[0]![3]!, cam[1]![3]! + 1, cam[2]![3]!]); // world +y, camera frame
        const n = [normal[3 * i]!, normal[3 * i + 1]!, normal[3 * i + 2]!].map((v) => v / 127);
        if (valid[i] === 0) {
          expect(n).toEqual([0, 0, 0]);
          continue;
        }
        const len = Math.hypot(...n); // int8 quantisation leaves |n| within ~0.5 % of 1
        expect(Math.abs(len - 1)).toBeLessThan(0.02);
        const cos = (n[0]! * up[0]! + n[1]! * up[1]! + n[2]! * up[2]!) / len;
        if (seg[i] === 0) angles.push(Math.acos(Math.min(1, cos)));
        // Every stored normal faces the camera, silhouettes included (smooth-shading normals
        // that lean away there are bent back by the shader, to n·v = 0.05 before rounding).
        const px = i % (W * H);
        const ray = [(px % W) - s.json.K.cx, Math.floor(px / W) - s.json.K.cy, s.json.K.fx];
        const away =
          (n[0]! * ray[0]! + n[1]! * ray[1]! + n[2]! * ray[2]!) / (len * Math.hypot(...ray));
        if (away >= 0) leaning++;
        visible++;
      }
    });
    expect(median(angles)).toBeLessThan((1 * Math.PI) / 180);
    expect(visible).toBeGreaterThan(1000);
    expect(leaning).toBe(0);
  });
});
