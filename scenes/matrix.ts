/**
 * The scene code's one matrix module. Records hold plain float64 tuples: vectors, quaternions
 * (x, y, z, w) and row-major 3×3 rotations (motion signals) have their helpers here; column-major
 * 4×4 work (camera trajectories, glTF node trees) uses gl-matrix, re-exported from here with
 * float64 arrays. Each formula stays as written: gl-matrix's vec3.transformQuat in place of
 * `rotate` sums in another order and changes the last bits of sampled scenes, so datasets would
 * change.
 */
import { glMatrix } from 'gl-matrix';
import type { Mat4, Quat, Vec3 } from './types.ts';

// Float64 everywhere: poses are ground truth, and float32 would cost ~1e-7 relative per operation.
glMatrix.setMatrixArrayType(Array);
export { mat4, quat, vec3 } from 'gl-matrix';

export function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

export function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

export function scale(a: Vec3, s: number): Vec3 {
  return [a[0] * s, a[1] * s, a[2] * s];
}

export function length(a: Vec3): number {
  return Math.hypot(a[0], a[1], a[2]);
}

export function normalise(a: Vec3): Vec3 {
  return scale(a, 1 / length(a));
}

export function axisAngle(axis: Vec3, angle: number): Quat {
  const s = Math.sin(angle / 2) / length(axis);
  return [axis[0] * s, axis[1] * s, axis[2] * s, Math.cos(angle / 2)];
}

export const rotX = (angle: number): Quat => axisAngle([1, 0, 0], angle);
export const rotY = (angle: number): Quat => axisAngle([0, 1, 0], angle);
export const rotZ = (angle: number): Quat => axisAngle([0, 0, 1], angle);

/** Hamilton product: `qmul(a, b)` applies b first, then a. */
export function qmul(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}

export function rotate(q: Quat, v: Vec3): Vec3 {
  const [x, y, z, w] = q;
  const tx = 2 * (y * v[2] - z * v[1]);
  const ty = 2 * (z * v[0] - x * v[2]);
  const tz = 2 * (x * v[1] - y * v[0]);
  return [
    v[0] + w * tx + (y * tz - z * ty),
    v[1] + w * ty + (z * tx - x * tz),
    v[2] + w * tz + (x * ty - y * tx),
  ];
}

/** Rotation taking local +y onto the direction d (the axis of cylinders and capsules). */

/** Row-major 3×3 rotation. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];

export function rotationOf(m: Mat4): Mat3 {
  const r = (i: number, j: number) => m[i]![j]!;
  return [r(0, 0), r(0, 1), r(0, 2), r(1, 0), r(1, 1), r(1, 2), r(2, 0), r(2, 1), r(2, 2)];
}

export function translationOf(m: Mat4): Vec3 {
  return [m[0]![3]!, m[1]![3]!, m[2]![3]!];
}

/** Aᵀ·B */
export function mulTransposed(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9).fill(0) as Mat3;
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[k * 3 + i]! * b[k * 3 + j]!;
      out[i * 3 + j] = s;
    }
  return out;
}

/** Rᵀ·v (world → head for a world_from_head rotation R). */
export function applyTransposed(r: Mat3, v: Vec3): Vec3 {
  return [
    r[0] * v[0] + r[3] * v[1] + r[6] * v[2],
    r[1] * v[0] + r[4] * v[1] + r[7] * v[2],
    r[2] * v[0] + r[5] * v[1] + r[8] * v[2],
  ];
}

export function apply(r: Mat3, v: Vec3): Vec3 {
  return [
    r[0] * v[0] + r[1] * v[1] + r[2] * v[2],
    r[3] * v[0] + r[4] * v[1] + r[5] * v[2],
    r[6] * v[0] + r[7] * v[1] + r[8] * v[2],
  ];
}

/** A·B */
export function mul3(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9).fill(0) as Mat3;
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      out[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
  return out;
}
