/** Bounds of parts and objects in the object frame, and `settle` (stand on y = 0, centred). */

import type { PartRecord, PrimitiveShape, Vec3 } from '../types.ts';
import { add } from '../matrix.ts';

// Exact for box, sphere, cylinder and capsule; conservative for partial tori.

/** Range of one shape along a unit direction given in the shape's local frame. */
function shapeRange(shape: PrimitiveShape, e: Vec3): [number, number] {
  switch (shape.kind) {
    case 'box': {
      const h =
        (Math.abs(e[0]) * shape.size[0] +
          Math.abs(e[1]) * shape.size[1] +
          Math.abs(e[2]) * shape.size[2]) /
        2;
      return [-h, h];
    }
    case 'sphere':
      return [-shape.radius, shape.radius];
    case 'cylinder': {
      // Convex hull of two discs with normal y: each disc reaches r·√(1 − e_y²) across e.
      const s = Math.sqrt(Math.max(0, 1 - e[1] * e[1]));
      const top = (e[1] * shape.height) / 2;
      return [
        Math.min(top - shape.radiusTop * s, -top - shape.radiusBottom * s),
        Math.max(top + shape.radiusTop * s, -top + shape.radiusBottom * s),
      ];
    }
    case 'capsule': {
      const h = (Math.abs(e[1]) * shape.length) / 2 + shape.radius;
      return [-h, h];
    }
    case 'torus': {
      // Centre line R(cos θ, sin θ) for θ in [0, arc]; extremes at the ends or where e·t = 0.
      const f = (t: number): number => shape.radius * (Math.cos(t) * e[0] + Math.sin(t) * e[1]);
      const arc = Math.min(shape.arc, 2 * Math.PI);
      const star = Math.atan2(e[1], e[0]);
      const values = [f(0), f(arc)];
      for (const t of [star, star + Math.PI, star + 2 * Math.PI, star - Math.PI]) {
        if (t >= 0 && t <= arc) values.push(f(t));
      }
      return [Math.min(...values) - shape.tube, Math.max(...values) + shape.tube];
    }
  }
}

/** Axis-aligned bounds of one part in the object frame. */
export function partBounds(p: PartRecord): { min: Vec3; max: Vec3 } {
  const [x, y, z, w] = p.rotation;
  // Rows of the rotation matrix: the world axes expressed in the part's local frame.
  const rows: [Vec3, Vec3, Vec3] = [
    [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
    [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
    [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
  ];
  const min: Vec3 = [0, 0, 0];
  const max: Vec3 = [0, 0, 0];
  for (const i of [0, 1, 2] as const) {
    const [lo, hi] = shapeRange(p.shape, rows[i]);
    min[i] = p.position[i] + lo;
    max[i] = p.position[i] + hi;
  }
  return { min, max };
}

/** Axis-aligned bounds of a whole object in its frame. */
export function objectBounds(parts: readonly PartRecord[]): { min: Vec3; max: Vec3 } {
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const p of parts) {
    const b = partBounds(p);
    for (const i of [0, 1, 2] as const) {
      min[i] = Math.min(min[i], b.min[i]);
      max[i] = Math.max(max[i], b.max[i]);
    }
  }
  return { min, max };
}

/** Put the lowest point on y = 0 and the footprint's centre on the origin. */
export function settle(parts: PartRecord[]): PartRecord[] {
  const { min, max } = objectBounds(parts);
  const shift: Vec3 = [-(min[0] + max[0]) / 2, -min[1], -(min[2] + max[2]) / 2];
  return parts.map((p) => ({ ...p, position: add(p.position, shift) }));
}
