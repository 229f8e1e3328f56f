/**
 * The `occlusion` layer, derived in Node from layers the page already renders (depth, seg,
 * valid) and the record's exact poses, so it costs no extra render pass. Each pixel's surface
 * point at t is moved rigidly with its object (or kept still: seg 0 is static) to t+1 and
 * projected into the t+1 camera, exactly as the flow shader does; the point is hidden when every
 * rendered pixel around where it lands is nearer than it. For a plane 1/z is affine in the image,
 * so one of the 4 pixels around any point of it is at least as far as the point: the test needs
 * no tolerance for slope, only for float rounding.
 */
import type { Eye } from '../output/index.ts';
import type { Mat4, Quat, SceneRecord } from '../scenes/index.ts';

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
  // Scalar arithmetic only: this runs for every pixel of every frame (no per-pixel arrays).
  const { fx, fy, cx, cy } = K;
  for (let t = 0; t + 1 < T; t++) {
    const A = cams[t]!.flat();
    const B = cams[t + 1]!.flat();
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
        const c0 = ((x - cx) / fx) * z;
        const c1 = ((y - cy) / fy) * z;
        const c2 = z;
        const o = surface ? 1 : 0; // directions ignore translations
        let w0 = A[0]! * c0 + A[1]! * c1 + A[2]! * c2 + o * A[3]!;
        let w1 = A[4]! * c0 + A[5]! * c1 + A[6]! * c2 + o * A[7]!;
        let w2 = A[8]! * c0 + A[9]! * c1 + A[10]! * c2 + o * A[11]!;
        if (surface) {
          const m = motion.get(seg[i]!) ?? IDENTITY;
          const p0 = m[0]! * w0 + m[1]! * w1 + m[2]! * w2 + m[3]!;
          const p1 = m[4]! * w0 + m[5]! * w1 + m[6]! * w2 + m[7]!;
          const p2 = m[8]! * w0 + m[9]! * w1 + m[10]! * w2 + m[11]!;
          w0 = p0 - B[3]!;
          w1 = p1 - B[7]!;
          w2 = p2 - B[11]!;
        }
        // Into the t+1 camera: Rᵀ d.
        const d0 = B[0]! * w0 + B[4]! * w1 + B[8]! * w2;
        const d1 = B[1]! * w0 + B[5]! * w1 + B[9]! * w2;
        const d2 = B[2]! * w0 + B[6]! * w1 + B[10]! * w2;
        if (surface ? d2 <= near : d2 <= 1e-9) {
          out[i] = OCCLUSION.outside;
          continue;
        }
        const u = (fx * d0) / d2 + cx;
        const v = (fy * d1) / d2 + cy;
        if (!(u >= -0.5 && u < W - 0.5 && v >= -0.5 && v < H - 0.5)) {
          out[i] = OCCLUSION.outside;
          continue;
        }
        // Hidden when every rendered pixel around (u, v) is a surface nearer than the point.
        const limit = surface ? d2 * (1 - OCCLUSION_REL_TOL) - OCCLUSION_ABS_TOL : Infinity;
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
