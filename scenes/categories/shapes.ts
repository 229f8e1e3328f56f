/**
 * Part constructors shared by the category builders: primitive shapes, a named part, a rod between
 * two points, and the two sides. Plain float64 tuples (no gl-matrix Float32Arrays in records).
 */

import type { MaterialSlot, PartRecord, PrimitiveShape, Quat, Vec3 } from '../types.ts';
import { add, length, normalise, rotX, rotZ, scale, sub } from '../matrix.ts';

export const IDENTITY: Quat = [0, 0, 0, 1];

export function alignY(d: Vec3): Quat {
  const [x, y, z] = normalise(d);
  if (y < -1 + 1e-12) return rotX(Math.PI);
  // Axis y × d = (z, 0, −x); the half-angle form avoids acos near the poles.
  const q: Quat = [z, 0, -x, 1 + y];
  const n = Math.hypot(q[0], q[2], q[3]);
  return [q[0] / n, 0, q[2] / n, q[3] / n];
}

/** Capsules lie along x with this; cylinders too (e.g. engines). */
export const ALONG_X = rotZ(-Math.PI / 2);
/** Wheels: cylinder axis along z. */
export const ALONG_Z = rotX(Math.PI / 2);

// Part constructors.

export const box = (x: number, y: number, z: number): PrimitiveShape => ({
  kind: 'box',
  size: [x, y, z],
});
export const sphere = (radius: number): PrimitiveShape => ({ kind: 'sphere', radius });
export const cylinder = (
  radiusTop: number,
  radiusBottom: number,
  height: number,
): PrimitiveShape => ({
  kind: 'cylinder',
  radiusTop,
  radiusBottom,
  height,
});
export const capsule = (radius: number, len: number): PrimitiveShape => ({
  kind: 'capsule',
  radius,
  length: len,
});
export const torus = (radius: number, tube: number, arc: number): PrimitiveShape => ({
  kind: 'torus',
  radius,
  tube,
  arc,
});

export interface PartOptions {
  rotation?: Quat;
  material?: MaterialSlot;
  diagnostic?: boolean;
}

export function part(
  name: string,
  shape: PrimitiveShape,
  position: Vec3,
  { rotation = IDENTITY, material = 'primary', diagnostic = false }: PartOptions = {},
): PartRecord {
  return { name, shape, position, rotation, material, diagnostic };
}

/** A capsule or cylinder whose axis runs from a to b (capsule: a and b are the cap centres). */
export function rod(
  name: string,
  kind: 'capsule' | 'cylinder',
  a: Vec3,
  b: Vec3,
  radius: number,
  options: Omit<PartOptions, 'rotation'> = {},
): PartRecord {
  const d = sub(b, a);
  const len = length(d);
  const shape = kind === 'capsule' ? capsule(radius, len) : cylinder(radius, radius, len);
  return part(name, shape, scale(add(a, b), 0.5), { ...options, rotation: alignY(d) });
}

/** z sign and name of each side; +z is the object's right (x forward, y up). */
export const SIDES = [
  ['left', -1],
  ['right', 1],
] as const;
