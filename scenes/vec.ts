import type { Quat, Vec3 } from './types.ts';

/** Small float64 vector and quaternion helpers (x, y, z, w) for scene records. */

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
