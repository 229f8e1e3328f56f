/**
 * The `occlusion` layer, derived in Node from layers the page already renders (depth, seg,
 * valid) and the record's exact poses, so it costs no extra render pass. Each pixel's surface
 * point at t is moved rigidly with its object (or kept still: seg 0 is static) to t+1 and
 * projected into the t+1 camera, exactly as the flow shader does; the point is hidden when every
 * rendered pixel around where it lands is nearer than it. For a plane 1/z is affine in the image,
 * so one of the 4 pixels around any point of it is at least as far as the point: the test needs
 * no tolerance for slope, only for float rounding.
 */
import type { Eye } from '../output/layers.ts';
import type { Mat4, Quat, SceneRecord } from '../scenes/types.ts';

export const OCCLUSION = { visible: 0, hidden: 1, outside: 2 } as const;

/** Relative depth margin for "nearer": float32 depth and rasteriser interpolation are ~1e-6. */
export const OCCLUSION_REL_TOL = 1e-3;
/** Absolute margin (metres), for contacts where two surfaces touch. */
export const OCCLUSION_ABS_TOL = 1e-4;

type Affine = number[]; // 3×4 row-major

function quatMatrix([x, y, z, w]: Quat): number[] {
  return [
    1 - 2 * (y * y + z * z),
    2 * (x * y - z * w),
    2 * (x * z + y * w),
    2 * (x * y + z * w),
    1 - 2 * (x * x + z * z),
    2 * (y * z - x * w),
    2 * (x * z - y * w),
    2 * (y * z + x * w),
    1 - 2 * (x * x + y * y),
  ];
}

/** world_from_object(t+1) · object_from_world(t): how a point on the object moves. */
function relativeMotion(a: SceneRecord['objects'][number]['poses'][number], b: typeof a): Affine {
  const ra = quatMatrix(a.quaternion);
  const rb = quatMatrix(b.quaternion);
  // R = Rb Raᵀ, t = pb − R pa
  const r: number[] = [];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += rb[3 * i + k]! * ra[3 * j + k]!;
      r.push(s);
    }
  const m: Affine = [];
  for (let i = 0; i < 3; i++) {
    const ti =
      b.position[i]! -
      (r[3 * i]! * a.position[0] + r[3 * i + 1]! * a.position[1] + r[3 * i + 2]! * a.position[2]);
    m.push(r[3 * i]!, r[3 * i + 1]!, r[3 * i + 2]!, ti);
  }
  return m;
}

const IDENTITY: Affine = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];

/**
 * occlusion[t] for one eye, [T·H·W]: 0 visible at t+1, 1 hidden behind another surface, 2 out of
 * view (outside the image or behind the near plane). The last frame is zeros (no t+1), like flow.
 * Pixels showing no surface (valid 0) are directions at infinity: they move with the camera's
 * rotation and are hidden when surfaces cover every pixel around where they land.
 */
export function occlusionMask(o: {
  rec: SceneRecord;
  eye: Eye;
  depth: Float32Array;
  seg: Uint16Array;
  valid: Uint8Array;
}): Uint8Array {
  const { rec, depth, seg, valid } = o;
  const { width: W, height: H, K, near } = rec.camera;
  const T = rec.frames;
  const n = W * H;
  const out = new Uint8Array(T * n);
  const cams: Mat4[] = rec.camera.world_from_camera[o.eye];
  const byId = new Map(rec.objects.map((ob) => [ob.id, ob]));
  for (let t = 0; t + 1 < T; t++) {
    const A = cams[t]!;
    const B = cams[t + 1]!;
    const motion = new Map<number, Affine>();
    for (const [id, ob] of byId) motion.set(id, relativeMotion(ob.poses[t]!, ob.poses[t + 1]!));
    const base = t * n;
    const next = (t + 1) * n;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = base + y * W + x;
        const surface = valid[i] === 1;
        const z = surface ? depth[i]! : 1;
        // Camera-frame point (or ray direction for the sky), then world.
        const c = [((x - K.cx) / K.fx) * z, ((y - K.cy) / K.fy) * z, z];
        const w = [0, 1, 2].map(
          (r) =>
            A[r]![0]! * c[0]! + A[r]![1]! * c[1]! + A[r]![2]! * c[2]! + (surface ? A[r]![3]! : 0),
        );
        let p = w;
        if (surface) {
          const m = motion.get(seg[i]!) ?? IDENTITY;
          p = [0, 1, 2].map(
            (r) =>
              m[4 * r]! * w[0]! + m[4 * r + 1]! * w[1]! + m[4 * r + 2]! * w[2]! + m[4 * r + 3]!,
          );
        }
        const d = [0, 1, 2].map((r) => p[r]! - (surface ? B[r]![3]! : 0));
        const [cx, cy, cz] = [0, 1, 2].map(
          (k) => B[0]![k]! * d[0]! + B[1]![k]! * d[1]! + B[2]![k]! * d[2]!,
        ) as [number, number, number];
        if (surface ? cz <= near : cz <= 1e-9) {
          out[i] = OCCLUSION.outside;
          continue;
        }
        const u = (K.fx * cx) / cz + K.cx;
        const v = (K.fy * cy) / cz + K.cy;
        if (!(u >= -0.5 && u < W - 0.5 && v >= -0.5 && v < H - 0.5)) {
          out[i] = OCCLUSION.outside;
          continue;
        }
        // Hidden when every rendered pixel around (u, v) is a surface nearer than the point.
        const limit = surface ? cz * (1 - OCCLUSION_REL_TOL) - OCCLUSION_ABS_TOL : Infinity;
        const x0 = Math.max(0, Math.floor(u));
        const x1 = Math.min(W - 1, Math.floor(u) + 1);
        const y0 = Math.max(0, Math.floor(v));
        const y1 = Math.min(H - 1, Math.floor(v) + 1);
        let hidden = true;
        for (let yy = y0; yy <= y1 && hidden; yy++) {
          for (let xx = x0; xx <= x1; xx++) {
            const j = next + yy * W + xx;
            if (valid[j] !== 1 || !(depth[j]! < limit)) {
              hidden = false;
              break;
            }
          }
        }
        out[i] = hidden ? OCCLUSION.hidden : OCCLUSION.visible;
      }
    }
  }
  return out;
}
