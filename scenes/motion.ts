/**
 * Self-motion ("vestibular / somatosensory") signals of a sequence, derived from the exact
 * per-frame poses of its scene record: what a head carrying the stereo rig would feel.
 *
 * The head frame is the cyclopean frame: origin midway between the two camera centres, axes those
 * of the (parallel, rectified) cameras, i.e. OpenCV axes: x right, y down, z forward.
 *
 * Differences are central at the frame rate, one-sided at the first and last frame (the scheme of
 * `np.gradient(x, 1/fps)`). Rotations are differenced on the rotation group: the body-frame
 * increment over frame interval k is log(R_kᵀ R_{k+1}) (the log map, never Euler angles), and
 * ω_t = fps/2 · (inc_{t−1} + inc_t), with fps · inc_0 and fps · inc_{T−2} at the ends. Because
 * the scheme is fixed, a user can invert it exactly: inc_0 = ω_0/fps, inc_t = 2ω_t/fps − inc_{t−1},
 * R_{t+1} = R_t exp(inc_t) (and the same leapfrog for positions).
 */
import {
  apply,
  applyTransposed,
  mul3,
  mulTransposed,
  rotationOf,
  translationOf,
  type Mat3,
} from './matrix.ts';
import type { SceneRecord, Vec3 } from './types.ts';

export type { Mat3 } from './matrix.ts';

/** Standard gravity, m/s². */
export const GRAVITY = 9.80665;

export interface MotionColumn {
  name: string;
  unit: string;
  /** 'head': cyclopean head frame (OpenCV axes); 'world': metres, y up. */
  frame: 'head' | 'world' | 'none';
  description: string;
}

const xyz = (
  prefix: string,
  unit: string,
  frame: MotionColumn['frame'],
  description: string,
): MotionColumn[] =>
  (['x', 'y', 'z'] as const).map((a) => ({ name: `${prefix}_${a}`, unit, frame, description }));

/** The columns of `<key>.motion.npy`, in order. Part of the public format: append only. */
export const MOTION_COLUMNS: readonly MotionColumn[] = [
  ...xyz(
    'head_vel',
    'm/s',
    'head',
    'linear velocity of the head origin, expressed in the head frame of the same frame',
  ),
  ...xyz(
    'head_angvel',
    'rad/s',
    'head',
    'angular velocity of the head (body-frame, from the log map of consecutive rotations)',
  ),
  ...xyz(
    'head_acc',
    'm/s^2',
    'head',
    'linear acceleration of the head origin (kinematic, gravity not included), in the head frame',
  ),
  ...xyz(
    'head_angacc',
    'rad/s^2',
    'head',
    'angular acceleration: the central difference of head_angvel',
  ),
  ...xyz(
    'body_vel',
    'm/s',
    'world',
    "velocity of the rig's base (the left camera centre, the pivot head rotations turn about, projected on the ground): y is 0",
  ),
  ...xyz(
    'gravity',
    'm/s^2',
    'head',
    'gravity (9.80665 m/s² along world −y) in the head frame; specific force (what otoliths sense) = head_acc − gravity',
  ),
  ...xyz(
    'gaze',
    'm',
    'head',
    'the fixated point (camera.gaze[t].point) in the head frame; NaN when the record has no gaze',
  ),
  {
    name: 'saccade',
    unit: '1',
    frame: 'none',
    description: '1 while the eyes are mid-saccade (camera.gaze[t].saccade), else 0',
  },
];

/** Column groups by prefix, e.g. 'head_vel' → its three column indices. */
export function motionColumnIndices(groups: readonly string[]): number[] {
  const out: number[] = [];
  for (const g of groups) {
    const idx = MOTION_COLUMNS.flatMap((c, i) =>
      c.name === g || c.name.startsWith(`${g}_`) ? [i] : [],
    );
    if (idx.length === 0) throw new Error(`motion: unknown column group '${g}'`);
    out.push(...idx);
  }
  return out;
}

export const MOTION_GROUPS = [
  'head_vel',
  'head_angvel',
  'head_acc',
  'head_angacc',
  'body_vel',
  'gravity',
  'gaze',
  'saccade',
] as const;
export type MotionGroup = (typeof MOTION_GROUPS)[number];

export interface MotionSignals {
  frames: number;
  columns: readonly MotionColumn[];
  /** Row-major [frames, columns], float64. */
  data: Float64Array;
}

/**
 * The log map of SO(3): rotation vector (axis × angle, |angle| ≤ π) of R. Through the quaternion
 * (Shepperd's method), which stays accurate at small angles, where acos of the trace does not.
 */
export function rotationLog(r: Mat3): Vec3 {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = r;
  const tr = m00 + m11 + m22;
  let w: number, x: number, y: number, z: number;
  if (tr > 0) {
    const s = 2 * Math.sqrt(tr + 1);
    w = s / 4;
    x = (m21 - m12) / s;
    y = (m02 - m20) / s;
    z = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    w = (m21 - m12) / s;
    x = s / 4;
    y = (m01 + m10) / s;
    z = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    w = (m02 - m20) / s;
    x = (m01 + m10) / s;
    y = s / 4;
    z = (m12 + m21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    w = (m10 - m01) / s;
    x = (m02 + m20) / s;
    y = (m12 + m21) / s;
    z = s / 4;
  }
  if (w < 0) [w, x, y, z] = [-w, -x, -y, -z];
  const n = Math.hypot(x, y, z);
  if (n < 1e-300) return [0, 0, 0];
  const k = (2 * Math.atan2(n, w)) / n;
  return [x * k, y * k, z * k];
}

/** The exp map of SO(3) (Rodrigues): rotation by |v| about v. */
export function rotationExp(v: Vec3): Mat3 {
  const th = Math.hypot(v[0], v[1], v[2]);
  // sin(θ)/θ and (1 − cos θ)/θ² by series near 0, so tiny rotations keep full precision.
  const a = th < 1e-4 ? 1 - (th * th) / 6 : Math.sin(th) / th;
  const b = th < 1e-4 ? 0.5 - (th * th) / 24 : (1 - Math.cos(th)) / (th * th);
  const [x, y, z] = v;
  return [
    1 - b * (y * y + z * z),
    -a * z + b * x * y,
    a * y + b * x * z,
    a * z + b * x * y,
    1 - b * (x * x + z * z),
    -a * x + b * y * z,
    -a * y + b * x * z,
    a * x + b * y * z,
    1 - b * (x * x + y * y),
  ];
}

/** np.gradient(values, 1/fps) along time for a series of 3-vectors. */
export function gradient(values: readonly Vec3[], fps: number): Vec3[] {
  const n = values.length;
  if (n < 2) return values.map(() => [0, 0, 0]);
  return values.map((_, t) => {
    const lo = Math.max(0, t - 1);
    const hi = Math.min(n - 1, t + 1);
    const a = values[lo]!;
    const b = values[hi]!;
    const s = fps / (hi - lo);
    return [(b[0] - a[0]) * s, (b[1] - a[1]) * s, (b[2] - a[2]) * s];
  });
}

/** Body-frame angular velocity per frame from world_from_head rotations (scheme in the header). */
export function angularVelocity(rotations: readonly Mat3[], fps: number): Vec3[] {
  const n = rotations.length;
  if (n < 2) return rotations.map(() => [0, 0, 0]);
  const inc: Vec3[] = [];
  for (let k = 0; k + 1 < n; k++)
    inc.push(rotationLog(mulTransposed(rotations[k]!, rotations[k + 1]!)));
  return rotations.map((_, t) => {
    const a = inc[Math.max(0, t - 1)]!;
    const b = inc[Math.min(n - 2, t)]!;
    const s = t === 0 || t === n - 1 ? fps : fps / 2;
    if (t === 0) return [b[0] * s, b[1] * s, b[2] * s];
    if (t === n - 1) return [a[0] * s, a[1] * s, a[2] * s];
    return [(a[0] + b[0]) * s, (a[1] + b[1]) * s, (a[2] + b[2]) * s];
  });
}

/** The cyclopean head pose per frame: world_from_head rotation and position. */
export function headPoses(rec: SceneRecord): { rotation: Mat3[]; position: Vec3[] } {
  const { left, right } = rec.camera.world_from_camera;
  return {
    rotation: left.map(rotationOf),
    position: left.map((l, t) => {
      const a = translationOf(l);
      const b = translationOf(right[t]!);
      return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];
    }),
  };
}

/** All columns of MOTION_COLUMNS for every frame of a scene record. */
export function motionSignals(rec: SceneRecord): MotionSignals {
  const T = rec.frames;
  const fps = rec.fps;
  const { rotation, position } = headPoses(rec);
  const velWorld = gradient(position, fps);
  const accWorld = gradient(velWorld, fps);
  const angvel = angularVelocity(rotation, fps);
  const angacc = gradient(angvel, fps);
  const base = rec.camera.world_from_camera.left.map(translationOf);
  const bodyVel = gradient(base, fps).map((v): Vec3 => [v[0], 0, v[2]]);
  const gravityWorld: Vec3 = [0, -GRAVITY, 0];
  const C = MOTION_COLUMNS.length;
  const data = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    const r = rotation[t]!;
    const g = rec.camera.gaze[t];
    const p = position[t]!;
    const gaze: Vec3 = g
      ? applyTransposed(r, [g.point[0] - p[0], g.point[1] - p[1], g.point[2] - p[2]])
      : [NaN, NaN, NaN];
    const row = [
      ...applyTransposed(r, velWorld[t]!),
      ...angvel[t]!,
      ...applyTransposed(r, accWorld[t]!),
      ...angacc[t]!,
      ...bodyVel[t]!,
      ...applyTransposed(r, gravityWorld),
      ...gaze,
      g?.saccade ? 1 : 0,
    ];
    data.set(row, t * C);
  }
  return { frames: T, columns: MOTION_COLUMNS, data };
}

/**
 * The exact inverse of the difference scheme, from a start pose and the rows of a motion array
 * (float32 from a shard is fine): inc_0 = ω_0/fps, inc_t = 2ω_t/fps − inc_{t−1},
 * R_{t+1} = R_t exp(inc_t); positions by the same leapfrog on the velocity rotated to the world.
 */
export function integrateMotion(opts: {
  data: ArrayLike<number>;
  frames: number;
  fps: number;
  r0: Mat3;
  p0: Vec3;
}): { rotation: Mat3[]; position: Vec3[] } {
  const { data, frames, fps } = opts;
  const C = MOTION_COLUMNS.length;
  const at = (t: number, j: number) => data[t * C + j]!;
  const rotation: Mat3[] = [opts.r0];
  const position: Vec3[] = [opts.p0];
  let inc: Vec3 = [0, 0, 0];
  for (let t = 0; t + 1 < frames; t++) {
    const w: Vec3 = [at(t, 3), at(t, 4), at(t, 5)];
    inc =
      t === 0
        ? [w[0] / fps, w[1] / fps, w[2] / fps]
        : ([0, 1, 2].map((j) => (2 * w[j]!) / fps - inc[j]!) as Vec3);
    const r = rotation[t]!;
    const v = apply(r, [at(t, 0), at(t, 1), at(t, 2)]);
    const from = t === 0 ? position[0]! : position[t - 1]!;
    const k = t === 0 ? 1 / fps : 2 / fps;
    position.push([from[0] + v[0] * k, from[1] + v[1] * k, from[2] + v[2] * k]);
    rotation.push(mul3(r, rotationExp(inc)));
  }
  return { rotation, position };
}
