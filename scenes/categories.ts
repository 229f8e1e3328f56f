/**
 * The category registry: procedural objects built from primitives, each with one named diagnostic
 * part (the synthetic analogue of ClickMe maps: people recognise animals by faces and cars by
 * wheels). A category's index in CATEGORIES is its label, so the order is a contract: append only.
 *
 * Object frame (see CategoryDef): y up, front +x, right +z (x forward × y up), metres, about 1 m
 * overall. Builders draw every proportion from the rng; `settle` then puts the lowest point on
 * y = 0 and centres the footprint's bounding box on the origin.
 */

import type { Rng } from '../core/rng.ts';
import type { CategoryDef, MaterialSlot, PartRecord, PrimitiveShape, Quat, Vec3 } from './types.ts';
import { add, length, normalise, qmul, rotate, rotX, rotY, rotZ, scale, sub } from './vec.ts';

// ---------------------------------------------------------------------------------------------
// Small vector and quaternion helpers (plain float64; no gl-matrix Float32Arrays in records).

const IDENTITY: Quat = [0, 0, 0, 1];

function alignY(d: Vec3): Quat {
  const [x, y, z] = normalise(d);
  if (y < -1 + 1e-12) return rotX(Math.PI);
  // Axis y × d = (z, 0, −x); the half-angle form avoids acos near the poles.
  const q: Quat = [z, 0, -x, 1 + y];
  const n = Math.hypot(q[0], q[2], q[3]);
  return [q[0] / n, 0, q[2] / n, q[3] / n];
}

/** Capsules lie along x with this; cylinders too (e.g. engines). */
const ALONG_X = rotZ(-Math.PI / 2);
/** Wheels: cylinder axis along z. */
const ALONG_Z = rotX(Math.PI / 2);

// ---------------------------------------------------------------------------------------------
// Part constructors.

const box = (x: number, y: number, z: number): PrimitiveShape => ({ kind: 'box', size: [x, y, z] });
const sphere = (radius: number): PrimitiveShape => ({ kind: 'sphere', radius });
const cylinder = (radiusTop: number, radiusBottom: number, height: number): PrimitiveShape => ({
  kind: 'cylinder',
  radiusTop,
  radiusBottom,
  height,
});
const capsule = (radius: number, len: number): PrimitiveShape => ({
  kind: 'capsule',
  radius,
  length: len,
});
const torus = (radius: number, tube: number, arc: number): PrimitiveShape => ({
  kind: 'torus',
  radius,
  tube,
  arc,
});

interface PartOptions {
  rotation?: Quat;
  material?: MaterialSlot;
  diagnostic?: boolean;
}

function part(
  name: string,
  shape: PrimitiveShape,
  position: Vec3,
  { rotation = IDENTITY, material = 'primary', diagnostic = false }: PartOptions = {},
): PartRecord {
  return { name, shape, position, rotation, material, diagnostic };
}

/** A capsule or cylinder whose axis runs from a to b (capsule: a and b are the cap centres). */
function rod(
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
const SIDES = [
  ['left', -1],
  ['right', 1],
] as const;

// ---------------------------------------------------------------------------------------------
// Bounds. Exact for box, sphere, cylinder and capsule; conservative for partial tori.

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
function settle(parts: PartRecord[]): PartRecord[] {
  const { min, max } = objectBounds(parts);
  const shift: Vec3 = [-(min[0] + max[0]) / 2, -min[1], -(min[2] + max[2]) / 2];
  return parts.map((p) => ({ ...p, position: add(p.position, shift) }));
}

// ---------------------------------------------------------------------------------------------
// Categories. Comments give the design constraints that keep each one standing on its feet.

function quadruped(rng: Rng): PartRecord[] {
  const bodyLen = rng.uniform(0.35, 0.6);
  const bodyR = rng.uniform(0.11, 0.18);
  const legLen = rng.uniform(0.22, 0.45);
  const legR = rng.uniform(0.028, 0.05);
  const headR = rng.uniform(0.08, 0.13);
  const neckLen = rng.uniform(0.06, 0.22);
  const neckAngle = rng.uniform(0.5, 1.1);
  const snoutLen = headR * rng.uniform(0.3, 1.0);
  const pointedEars = rng.bool(0.6);
  const earSize = headR * rng.uniform(0.28, 0.42);
  const tailLen = rng.uniform(0.1, 0.3);
  const tailR = rng.uniform(0.015, 0.035);
  const tailAngle = rng.uniform(-0.7, 0.9);

  const legTop = legLen + 2 * legR;
  const bodyY = legTop + bodyR * 0.5; // legs end inside the body
  const parts: PartRecord[] = [
    part('body', capsule(bodyR, bodyLen), [0, bodyY, 0], { rotation: ALONG_X }),
  ];
  for (const [end, sx] of [
    ['front', 1],
    ['back', -1],
  ] as const) {
    for (const [side, sz] of SIDES) {
      const at: Vec3 = [(sx * bodyLen * 0.85) / 2, legR + legLen / 2, sz * bodyR * 0.55];
      parts.push(part(`leg-${end}-${side}`, capsule(legR, legLen), at));
    }
  }
  const neckDir: Vec3 = [Math.cos(neckAngle), Math.sin(neckAngle), 0];
  const shoulder: Vec3 = [bodyLen / 2 + bodyR * 0.3, bodyY + bodyR * 0.4, 0];
  const neckEnd = add(shoulder, scale(neckDir, neckLen));
  const head = add(neckEnd, scale(neckDir, headR * 0.6));
  parts.push(rod('neck', 'capsule', shoulder, neckEnd, Math.min(bodyR * 0.5, headR * 0.7)));

  const diag = { diagnostic: true } as const;
  parts.push(part('head', sphere(headR), head, diag));
  parts.push(
    part(
      'snout',
      capsule(headR * 0.5, snoutLen),
      add(head, [headR * 0.55 + snoutLen / 2, -headR * 0.25, 0]),
      {
        ...diag,
        rotation: ALONG_X,
        material: 'secondary',
      },
    ),
  );
  const noseAt = add(head, [headR * 1.0 + snoutLen, -headR * 0.2, 0]);
  parts.push(part('nose', sphere(headR * 0.18), noseAt, { ...diag, material: 'detail' }));
  for (const [side, sz] of SIDES) {
    const eyeAt = add(head, [headR * 0.7, headR * 0.3, sz * headR * 0.5]);
    parts.push(part(`eye-${side}`, sphere(headR * 0.16), eyeAt, { ...diag, material: 'detail' }));
    const dir = normalise([-0.1, 0.85, sz * 0.5]);
    if (pointedEars) {
      const q = rotX(sz * 0.35); // lean outwards
      const base = add(head, scale(dir, headR * 0.8));
      const at = add(base, rotate(q, [0, earSize, 0]));
      const ear = cylinder(0, earSize, earSize * 2);
      parts.push(part(`ear-${side}`, ear, at, { ...diag, rotation: q, material: 'secondary' }));
    } else {
      const at = add(head, scale(dir, headR * 0.95));
      parts.push(part(`ear-${side}`, sphere(earSize), at, { ...diag, material: 'secondary' }));
    }
  }
  // Tail: the lowest possible tip is bodyY + 0.3·bodyR − 0.35·sin 0.7 − tailR > 0.
  const tailRoot: Vec3 = [-bodyLen / 2 - bodyR * 0.8, bodyY + bodyR * 0.3, 0];
  const tailTip = add(tailRoot, scale([-Math.cos(tailAngle), Math.sin(tailAngle), 0], tailLen));
  parts.push(rod('tail', 'capsule', tailRoot, tailTip, tailR));
  return parts;
}

function bird(rng: Rng): PartRecord[] {
  const legLen = rng.uniform(0.16, 0.32);
  const legR = rng.uniform(0.01, 0.018);
  const bodyR = rng.uniform(0.11, 0.17);
  const bodyLen = rng.uniform(0.1, 0.25);
  const pitch = rng.uniform(0.15, 0.5); // front up
  const headR = rng.uniform(0.065, 0.1);
  const beakLen = rng.uniform(0.06, 0.16);
  const beakR = headR * rng.uniform(0.3, 0.45);
  const beakDroop = rng.uniform(0, 0.45);
  const crest = rng.bool(0.35);
  const crestH = headR * rng.uniform(0.6, 1.1);
  const spread = rng.bool(0.4);
  const wingLen = (bodyLen + 2 * bodyR) * rng.uniform(0.6, 0.95);
  const wingW = bodyR * rng.uniform(0.7, 1.0);
  const span = rng.uniform(0.25, 0.45);
  const dihedral = rng.uniform(0.05, 0.35);
  const tailLen = rng.uniform(0.1, 0.22);
  const tailW = rng.uniform(0.06, 0.12);
  const tailLift = rng.uniform(0.1, 0.9);
  const footLen = rng.uniform(0.05, 0.09);

  const bodyY = legLen + bodyR * 0.6;
  const body: Vec3 = [0, bodyY, 0];
  const axis: Vec3 = [Math.cos(pitch), Math.sin(pitch), 0];
  const parts: PartRecord[] = [
    part('body', capsule(bodyR, bodyLen), body, { rotation: rotZ(pitch - Math.PI / 2) }),
  ];
  // Head overlaps the front cap for every draw (centre within bodyR + headR of the cap centre).
  const front = add(body, scale(axis, bodyLen / 2));
  const head = add(front, [bodyR * 0.2, bodyR * 0.75 + headR * 0.5, 0]);
  const diag = { diagnostic: true } as const;
  parts.push(part('head', sphere(headR), head, diag));
  const beakDir: Vec3 = [Math.cos(beakDroop), -Math.sin(beakDroop), 0];
  const beakBase = add(head, [headR * 0.8, -headR * 0.1, 0]);
  parts.push(
    part('beak', cylinder(0, beakR, beakLen), add(beakBase, scale(beakDir, beakLen / 2)), {
      ...diag,
      rotation: alignY(beakDir),
      material: 'detail',
    }),
  );
  for (const [side, sz] of SIDES) {
    const eyeAt = add(head, [headR * 0.45, headR * 0.3, sz * headR * 0.75]);
    parts.push(part(`eye-${side}`, sphere(headR * 0.17), eyeAt, { ...diag, material: 'detail' }));
  }
  if (crest) {
    const q = rotZ(0.4); // sweep back
    const base = add(head, [-headR * 0.2, headR * 0.8, 0]);
    const at = add(base, rotate(q, [0, crestH / 2, 0]));
    const shape = cylinder(0, headR * 0.3, crestH);
    parts.push(part('crest', shape, at, { ...diag, rotation: q, material: 'secondary' }));
  }
  for (const [side, sz] of SIDES) {
    if (spread) {
      // Right tip (+z) goes up under rotX(−d); the left mirrors it.
      const q = rotX(-sz * dihedral);
      const root: Vec3 = [0, bodyY + bodyR * 0.2, sz * bodyR * 0.6];
      const at = add(root, rotate(q, [0, 0, (sz * span) / 2]));
      const shape = box(wingW * 1.2, 0.02, span);
      parts.push(part(`wing-${side}`, shape, at, { rotation: q, material: 'secondary' }));
    } else {
      const at = add(body, [-wingLen * 0.15, bodyR * 0.1, sz * bodyR * 0.85]);
      const shape = box(wingLen, wingW, 0.02);
      const q = rotZ(pitch - 0.25); // folded along the body, tips dropping
      parts.push(part(`wing-${side}`, shape, at, { rotation: q, material: 'secondary' }));
    }
  }
  for (const [side, sz] of SIDES) {
    const z = sz * bodyR * 0.4;
    const top = bodyY - bodyR * 0.5;
    const leg = cylinder(legR, legR, top);
    parts.push(part(`leg-${side}`, leg, [0, top / 2, z], { material: 'detail' }));
    const foot = box(footLen, 0.015, 0.03);
    parts.push(part(`foot-${side}`, foot, [footLen * 0.3, 0.0075, z], { material: 'detail' }));
  }
  // Tail plate leaves the back cap along −x turned up by (tailLift − pitch).
  const q = rotZ(pitch - tailLift);
  const back = sub(body, scale(axis, bodyLen / 2 + bodyR * 0.6));
  const tailAt = add(back, rotate(q, [-tailLen / 2, 0, 0]));
  parts.push(
    part('tail', box(tailLen, 0.02, tailW), tailAt, { rotation: q, material: 'secondary' }),
  );
  return parts;
}

function vehicle(rng: Rng): PartRecord[] {
  const len = rng.uniform(0.85, 1.15);
  const width = rng.uniform(0.38, 0.55);
  const bodyH = rng.uniform(0.16, 0.3);
  const wheelR = rng.uniform(0.09, 0.16);
  const wheelW = rng.uniform(0.05, 0.1);
  const clearance = wheelR * rng.uniform(0.35, 0.8);
  const wheelbase = len * rng.uniform(0.55, 0.72);
  const cabinLen = len * rng.uniform(0.35, 0.65);
  const cabinH = rng.uniform(0.12, 0.24);
  const cabinW = width * rng.uniform(0.8, 0.95);
  const cabinX = len * rng.uniform(-0.15, 0.05);
  const lightR = rng.uniform(0.025, 0.04);

  const top = clearance + bodyH;
  const parts: PartRecord[] = [
    part('body', box(len, bodyH, width), [0, clearance + bodyH / 2, 0]),
    part('cabin', box(cabinLen, cabinH, cabinW), [cabinX, top + cabinH / 2, 0], {
      material: 'secondary',
    }),
    part(
      'windshield',
      box(0.01, cabinH * 0.7, cabinW * 0.9),
      [cabinX + cabinLen / 2 + 0.004, top + cabinH / 2, 0],
      { material: 'detail' },
    ),
  ];
  for (const [side, sz] of SIDES) {
    const at: Vec3 = [len / 2 - lightR * 0.4, clearance + bodyH * 0.65, sz * width * 0.32];
    parts.push(part(`headlight-${side}`, sphere(lightR), at, { material: 'detail' }));
  }
  for (const [end, sx] of [
    ['front', 1],
    ['rear', -1],
  ] as const) {
    for (const [side, sz] of SIDES) {
      const at: Vec3 = [(sx * wheelbase) / 2, wheelR, sz * (width / 2 + wheelW * 0.35)];
      const opts = { rotation: ALONG_Z, diagnostic: true } as const;
      const tyre = cylinder(wheelR, wheelR, wheelW);
      parts.push(part(`wheel-${end}-${side}`, tyre, at, { ...opts, material: 'detail' }));
      const hub = cylinder(wheelR * 0.55, wheelR * 0.55, wheelW + 0.01);
      parts.push(part(`hub-${end}-${side}`, hub, at, { ...opts, material: 'secondary' }));
    }
  }
  return parts;
}

function chair(rng: Rng): PartRecord[] {
  const seatW = rng.uniform(0.38, 0.55);
  const seatD = rng.uniform(0.38, 0.52);
  const seatT = rng.uniform(0.03, 0.07);
  const seatH = rng.uniform(0.36, 0.5);
  const legT = rng.uniform(0.025, 0.05);
  const roundLegs = rng.bool();
  const backH = rng.uniform(0.3, 0.55);
  const backT = rng.uniform(0.025, 0.05);
  const tilt = rng.uniform(0, 0.25);
  const style = rng.pick(['panel', 'slats'] as const);
  const slats = rng.int(1, 3);

  const parts: PartRecord[] = [part('seat', box(seatD, seatT, seatW), [0, seatH - seatT / 2, 0])];
  const legH = seatH - seatT;
  for (const [end, sx] of [
    ['front', 1],
    ['back', -1],
  ] as const) {
    for (const [side, sz] of SIDES) {
      const at: Vec3 = [sx * (seatD / 2 - legT), legH / 2, sz * (seatW / 2 - legT)];
      const shape = roundLegs ? cylinder(legT / 2, legT / 2, legH) : box(legT, legH, legT);
      parts.push(part(`leg-${end}-${side}`, shape, at, { material: 'secondary' }));
    }
  }
  // Backrest frame: rises from the seat's back edge, top tilted back (rotZ(+t) moves +y to −x).
  const q = rotZ(tilt);
  const base: Vec3 = [-seatD / 2 + backT / 2, seatH, 0];
  const place = (local: Vec3): Vec3 => add(base, rotate(q, local));
  const opts = { rotation: q, diagnostic: true } as const;
  if (style === 'panel') {
    parts.push(part('backrest', box(backT, backH, seatW), place([0, backH / 2, 0]), opts));
  } else {
    const railH = backH * 0.22;
    parts.push(
      part('backrest-rail', box(backT, railH, seatW), place([0, backH - railH / 2, 0]), opts),
    );
    for (const [side, sz] of SIDES) {
      const at = place([0, backH / 2, sz * (seatW / 2 - legT / 2)]);
      parts.push(part(`backrest-post-${side}`, box(backT, backH, legT), at, opts));
    }
    const inner = seatW - 2 * legT;
    const slatW = (inner / (slats + 1)) * 0.6;
    for (let i = 0; i < slats; i++) {
      const z = -inner / 2 + (inner * (i + 1)) / (slats + 1);
      const at = place([0, (backH - railH) / 2, z]);
      const shape = box(backT * 0.8, backH - railH, slatW);
      parts.push(part(`backrest-slat-${i}`, shape, at, { ...opts, material: 'secondary' }));
    }
  }
  return parts;
}

function lamp(rng: Rng): PartRecord[] {
  const baseR = rng.uniform(0.1, 0.18);
  const baseH = rng.uniform(0.025, 0.06);
  const poleR = rng.uniform(0.01, 0.022);
  const desk = rng.bool(0.35);
  const shadeRB = rng.uniform(0.13, 0.24) * (desk ? 0.8 : 1);
  const shadeRT = shadeRB * rng.uniform(0.35, 0.85);
  const shadeH = rng.uniform(0.14, 0.28) * (desk ? 0.8 : 1);
  const bulbR = Math.min(shadeRB * 0.45, 0.05);

  const parts: PartRecord[] = [
    part('base', cylinder(baseR * rng.uniform(0.7, 1), baseR, baseH), [0, baseH / 2, 0], {
      material: 'secondary',
    }),
  ];
  const shadeShape = cylinder(shadeRT, shadeRB, shadeH);
  const shadeOpts = { material: 'primary', diagnostic: true } as const;
  if (!desk) {
    const poleH = rng.uniform(0.45, 0.85);
    const top = baseH + poleH;
    parts.push(
      rod('pole', 'cylinder', [0, baseH, 0], [0, top, 0], poleR, { material: 'secondary' }),
    );
    const shadeY = top + shadeH * rng.uniform(0.05, 0.35); // pole top hidden inside the shade
    parts.push(part('shade', shadeShape, [0, shadeY, 0], shadeOpts));
    const bulbY = shadeY - shadeH / 2 + bulbR * 0.3;
    parts.push(part('bulb', sphere(bulbR), [0, bulbY, 0], { material: 'detail' }));
  } else {
    // Angled arm; the shade's reach below its top (≤ 0.29 m) stays above the arm end (≥ 0.35 m).
    const poleH = rng.uniform(0.3, 0.5);
    const armLen = rng.uniform(0.25, 0.45);
    const armAngle = rng.uniform(0.1, 0.6);
    const shadeTilt = rng.uniform(0.3, 0.7);
    const joint: Vec3 = [0, baseH + poleH, 0];
    const end = add(joint, scale([Math.cos(armAngle), Math.sin(armAngle), 0], armLen));
    parts.push(rod('pole', 'cylinder', [0, baseH, 0], joint, poleR, { material: 'secondary' }));
    parts.push(part('joint', sphere(poleR * 1.8), joint, { material: 'detail' }));
    parts.push(rod('arm', 'cylinder', joint, end, poleR, { material: 'secondary' }));
    // Shade axis points from its wide mouth up-back to the arm end; the mouth faces down-forward.
    const dir: Vec3 = [-Math.sin(shadeTilt), Math.cos(shadeTilt), 0];
    const q = alignY(dir);
    const shadeAt = sub(end, scale(dir, shadeH / 2));
    parts.push(part('shade', shadeShape, shadeAt, { ...shadeOpts, rotation: q }));
    const bulbAt = sub(shadeAt, scale(dir, shadeH / 2 - bulbR * 0.3));
    parts.push(part('bulb', sphere(bulbR), bulbAt, { material: 'detail' }));
  }
  return parts;
}

function tree(rng: Rng): PartRecord[] {
  const round = rng.bool(0.55);
  const trunkRB = rng.uniform(0.04, 0.08);
  const trunkRT = trunkRB * rng.uniform(0.6, 0.9);
  const opts = { material: 'secondary', diagnostic: true } as const;
  const parts: PartRecord[] = [];
  if (round) {
    // Lowest crown point: trunkH + 0.6R − 0.7R·sin 0.2 − 0.75R > 0.3 − 0.3·0.35 > 0.
    const trunkH = rng.uniform(0.3, 0.55);
    const R = rng.uniform(0.2, 0.33);
    const centre: Vec3 = [0, trunkH + R * 0.6, 0];
    const h = trunkH + R * 0.4;
    parts.push(part('trunk', cylinder(trunkRT, trunkRB, h), [0, h / 2, 0]));
    parts.push(part('crown-main', sphere(R), centre, opts));
    const n = rng.int(2, 6);
    const phase = rng.uniform(0, 2 * Math.PI);
    for (let i = 0; i < n; i++) {
      const r = R * rng.uniform(0.45, 0.75);
      const az = phase + (2 * Math.PI * i) / n + rng.uniform(-0.4, 0.4);
      const el = rng.uniform(-0.2, 0.7);
      const dir: Vec3 = [Math.cos(el) * Math.cos(az), Math.sin(el), Math.cos(el) * Math.sin(az)];
      parts.push(part(`crown-${i}`, sphere(r), add(centre, scale(dir, R * 0.7)), opts));
    }
  } else {
    const trunkH = rng.uniform(0.12, 0.25);
    const tiers = rng.int(2, 4);
    const baseR = rng.uniform(0.22, 0.36);
    const tierH = rng.uniform(0.22, 0.36);
    const shrink = rng.uniform(0.7, 0.85);
    const h = trunkH + tierH * 0.3;
    parts.push(part('trunk', cylinder(trunkRT, trunkRB, h), [0, h / 2, 0]));
    for (let i = 0; i < tiers; i++) {
      const th = tierH * 0.9 ** i;
      const y = trunkH + i * tierH * 0.5 + th / 2; // tiers overlap by half
      parts.push(part(`crown-tier-${i}`, cylinder(0, baseR * shrink ** i, th), [0, y, 0], opts));
    }
  }
  return parts;
}

function cup(rng: Rng): PartRecord[] {
  const rT = rng.uniform(0.24, 0.34);
  const rB = rT * rng.uniform(0.7, 1.0);
  const H = rng.uniform(0.5, 0.85);
  const saucer = rng.bool(0.35);
  const saucerR = rB * rng.uniform(1.5, 1.9);
  const saucerT = rng.uniform(0.02, 0.04);
  const handleR = H * rng.uniform(0.18, 0.3);
  const tube = rng.uniform(0.025, 0.05);
  const handleY = H * rng.uniform(0.45, 0.6);
  const liquid = rng.bool();

  const y0 = saucer ? saucerT : 0;
  const parts: PartRecord[] = [part('body', cylinder(rT, rB, H), [0, y0 + H / 2, 0])];
  if (saucer) {
    parts.push(
      part('saucer', cylinder(saucerR, saucerR * 0.8, saucerT), [0, saucerT / 2, 0], {
        material: 'secondary',
      }),
    );
  }
  parts.push(
    part('rim', torus(rT, 0.012, 2 * Math.PI), [0, y0 + H, 0], {
      rotation: rotX(Math.PI / 2),
      material: 'secondary',
    }),
  );
  if (liquid) {
    const at: Vec3 = [0, y0 + H + 0.002, 0];
    parts.push(part('liquid', cylinder(rT * 0.9, rT * 0.9, 0.006), at, { material: 'detail' }));
  }
  // Half ring on the +x side: the arc starts at local +x and turns through +y, so rotating by
  // −π/2 about z runs it from −y through +x to +y. Its centre sits on the wall at the lower end,
  // so both ends touch the (top-flared) wall.
  const wall = (y: number): number => rB + ((rT - rB) * y) / H;
  const handleX = Math.min(wall(handleY - handleR), wall(handleY + handleR));
  parts.push(
    part('handle', torus(handleR, tube, Math.PI), [handleX, y0 + handleY, 0], {
      rotation: rotZ(-Math.PI / 2),
      diagnostic: true,
    }),
  );
  return parts;
}

function fish(rng: Rng): PartRecord[] {
  const bodyR = rng.uniform(0.1, 0.17);
  const bodyLen = rng.uniform(0.3, 0.55);
  const standH = rng.uniform(0.06, 0.2);
  const baseR = rng.uniform(0.08, 0.14);
  const baseT = rng.uniform(0.02, 0.04);
  const rodR = rng.uniform(0.01, 0.018);
  const tailLen = rng.uniform(0.14, 0.28);
  const tailW = rng.uniform(0.04, 0.08);
  const tailSpread = rng.uniform(0.35, 0.75);
  const fan = rng.bool(0.3);
  const dorsalLen = bodyLen * rng.uniform(0.35, 0.7);
  const dorsalH = bodyR * rng.uniform(0.5, 1.0);
  const finLen = bodyR * rng.uniform(0.6, 1.0);
  const finH = bodyR * rng.uniform(0.3, 0.5);
  const t = 0.015;

  // A display stand keeps the fish on the ground; it is raised so the lower tail lobe clears it.
  const tailDrop = tailLen * Math.sin(tailSpread) + tailW * Math.cos(tailSpread);
  const bodyY = Math.max(baseT + standH + bodyR * 0.7, tailDrop + 0.03);
  const parts: PartRecord[] = [
    part('base', cylinder(baseR, baseR, baseT), [0, baseT / 2, 0], { material: 'secondary' }),
    rod('stand', 'cylinder', [0, baseT, 0], [0, bodyY - bodyR * 0.5, 0], rodR, {
      material: 'secondary',
    }),
    part('body', capsule(bodyR, bodyLen), [0, bodyY, 0], { rotation: ALONG_X }),
  ];
  const tailRoot: Vec3 = [-(bodyLen / 2 + bodyR * 0.75), bodyY, 0];
  const lobes: [string, number, number][] = [
    ['tail-upper', -tailSpread, tailLen], // rotZ(−s) turns local −x up-back
    ['tail-lower', tailSpread, tailLen],
  ];
  if (fan) lobes.push(['tail-middle', 0, tailLen * 0.75]);
  for (const [name, angle, len] of lobes) {
    const q = rotZ(angle);
    const at = add(tailRoot, rotate(q, [-len / 2, 0, 0]));
    parts.push(
      part(name, box(len, tailW, t), at, { rotation: q, material: 'secondary', diagnostic: true }),
    );
  }
  const dq = rotZ(0.35); // dorsal fin leans back
  const dorsalAt = add([-bodyLen * 0.1, bodyY + bodyR * 0.8, 0], rotate(dq, [0, dorsalH / 2, 0]));
  parts.push(
    part('fin-dorsal', box(dorsalLen, dorsalH, t), dorsalAt, {
      rotation: dq,
      material: 'secondary',
    }),
  );
  for (const [side, sz] of SIDES) {
    // Pectoral fins flare out backwards and droop.
    const q = qmul(rotY(sz * 0.5), rotZ(0.4));
    const root: Vec3 = [bodyLen * 0.15, bodyY - bodyR * 0.35, sz * bodyR * 0.8];
    const at = add(root, rotate(q, [-finLen / 2, 0, 0]));
    parts.push(
      part(`fin-${side}`, box(finLen, finH, t), at, { rotation: q, material: 'secondary' }),
    );
    const eyeAt: Vec3 = [bodyLen / 2 + bodyR * 0.55, bodyY + bodyR * 0.25, sz * bodyR * 0.7];
    parts.push(part(`eye-${side}`, sphere(bodyR * 0.15), eyeAt, { material: 'detail' }));
  }
  return parts;
}

function airplane(rng: Rng): PartRecord[] {
  const fuseR = rng.uniform(0.045, 0.075);
  const fuseLen = rng.uniform(0.65, 0.95);
  const span = rng.uniform(0.75, 1.15);
  const chord = rng.uniform(0.12, 0.22);
  const wingT = rng.uniform(0.015, 0.025);
  const sweep = rng.uniform(0, 0.5);
  const dihedral = rng.uniform(0, 0.12);
  const highWing = rng.bool(0.3);
  const wingX = fuseLen * rng.uniform(-0.05, 0.12);
  const wheelR = rng.uniform(0.025, 0.04);
  const strut = rng.uniform(0.05, 0.1);
  const tailSpan = span * rng.uniform(0.3, 0.42);
  const finH = rng.uniform(0.12, 0.22);
  const finSweep = rng.uniform(0.2, 0.5);
  const engines = !highWing && rng.bool();
  const engineR = rng.uniform(0.02, 0.035);

  const fy = wheelR + strut + fuseR * 0.9;
  const parts: PartRecord[] = [
    part('fuselage', capsule(fuseR, fuseLen), [0, fy, 0], { rotation: ALONG_X }),
    part('canopy', sphere(fuseR * 0.6), [fuseLen / 2 - fuseR * 0.2, fy + fuseR * 0.55, 0], {
      material: 'detail',
    }),
  ];
  // Wings: right (+z) tip swept back by rotY(−s) and raised by rotX(−d); the left mirrors it.
  const wy = fy + (highWing ? 0.6 : -0.5) * fuseR;
  for (const [side, sz] of SIDES) {
    const q = qmul(rotY(-sz * sweep), rotX(-sz * dihedral));
    const root: Vec3 = [wingX, wy, 0];
    const at = add(root, rotate(q, [0, 0, (sz * span) / 4]));
    parts.push(
      part(`wing-${side}`, box(chord, wingT, span / 2), at, { rotation: q, diagnostic: true }),
    );
    if (engines) {
      // Lowest engine point ≥ wy − wingT/2 − 1.9·engineR > 0.01 for every draw.
      const p = add(root, rotate(q, [0, 0, sz * span * 0.18]));
      const at = add(p, [chord * 0.2, -wingT / 2 - engineR * 0.9, 0]);
      const shape = cylinder(engineR, engineR, chord * 0.9);
      parts.push(part(`engine-${side}`, shape, at, { rotation: ALONG_X, material: 'secondary' }));
    }
  }
  const tailX = -fuseLen / 2 - fuseR * 0.2;
  parts.push(
    part('tailplane', box(chord * 0.55, wingT, tailSpan), [tailX, fy + fuseR * 0.2, 0], {
      material: 'secondary',
    }),
  );
  const fq = rotZ(finSweep);
  const finAt = add([tailX + chord * 0.1, fy + fuseR * 0.6, 0], rotate(fq, [0, finH / 2, 0]));
  parts.push(
    part('fin', box(chord * 0.6, finH, wingT), finAt, { rotation: fq, material: 'secondary' }),
  );
  const gear: [string, Vec3][] = [
    ['nose', [fuseLen * 0.36, 0, 0]],
    ['left', [wingX - chord * 0.3, 0, -fuseR * 0.7]],
    ['right', [wingX - chord * 0.3, 0, fuseR * 0.7]],
  ];
  for (const [name, [x, , z]] of gear) {
    const top: Vec3 = [x, fy - fuseR * 0.5, z];
    parts.push(
      rod(`strut-${name}`, 'cylinder', [x, wheelR, z], top, 0.008, { material: 'detail' }),
    );
    const wheel = cylinder(wheelR, wheelR, 0.025);
    parts.push(
      part(`wheel-${name}`, wheel, [x, wheelR, z], { rotation: ALONG_Z, material: 'detail' }),
    );
  }
  return parts;
}

function table(rng: Rng): PartRecord[] {
  const H = rng.uniform(0.55, 0.8);
  const topT = rng.uniform(0.03, 0.06);
  const opts = { diagnostic: true } as const;
  if (rng.bool(0.3)) {
    const topR = rng.uniform(0.35, 0.55);
    const postR = rng.uniform(0.03, 0.06);
    const footR = topR * rng.uniform(0.4, 0.6);
    const footT = rng.uniform(0.02, 0.04);
    return [
      part('tabletop', cylinder(topR, topR, topT), [0, H - topT / 2, 0], opts),
      rod('pedestal', 'cylinder', [0, footT, 0], [0, H - topT, 0], postR, {
        material: 'secondary',
      }),
      part('foot', cylinder(footR * 0.8, footR, footT), [0, footT / 2, 0], {
        material: 'secondary',
      }),
    ];
  }
  const topL = rng.uniform(0.8, 1.25);
  const topW = rng.uniform(0.5, 0.85);
  const legT = rng.uniform(0.035, 0.07);
  const inset = rng.uniform(0, 0.08);
  const roundLegs = rng.bool();
  const parts: PartRecord[] = [part('tabletop', box(topL, topT, topW), [0, H - topT / 2, 0], opts)];
  const legH = H - topT;
  for (const [end, sx] of [
    ['front', 1],
    ['back', -1],
  ] as const) {
    for (const [side, sz] of SIDES) {
      const at: Vec3 = [sx * (topL / 2 - legT - inset), legH / 2, sz * (topW / 2 - legT - inset)];
      const shape = roundLegs ? cylinder(legT / 2, legT / 2, legH) : box(legT, legH, legT);
      parts.push(part(`leg-${end}-${side}`, shape, at, { material: 'secondary' }));
    }
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// The registry. Index = label; append new categories at the end only.

function define(
  name: string,
  diagnosticPart: string,
  description: string,
  build: (rng: Rng) => PartRecord[],
): CategoryDef {
  return { name, diagnosticPart, description, build: (rng) => settle(build(rng)) };
}

export const CATEGORIES: readonly CategoryDef[] = Object.freeze([
  define(
    'quadruped',
    'head',
    'Four-legged animal: body, legs, tail; head with ears and snout.',
    quadruped,
  ),
  define('bird', 'head', 'Standing bird: body, wings, legs, tail; head with beak and eyes.', bird),
  define('vehicle', 'wheels', 'Car: body and cabin on four wheels.', vehicle),
  define('chair', 'backrest', 'Chair: seat on four legs with a backrest.', chair),
  define('lamp', 'shade', 'Floor or desk lamp: base, pole (and arm), shade.', lamp),
  define('tree', 'crown', 'Tree: trunk with a round or conifer crown.', tree),
  define('cup', 'handle', 'Cup: tapered body with a half-ring handle.', cup),
  define('fish', 'tail', 'Fish on a display stand: body, fins, forked tail.', fish),
  define('airplane', 'wings', 'Aeroplane on landing gear: fuselage, wings, tail.', airplane),
  define(
    'table',
    'tabletop',
    'Table: rectangular top on four legs, or round top on a pedestal.',
    table,
  ),
]);

export const CATEGORY_NAMES: readonly string[] = Object.freeze(CATEGORIES.map((c) => c.name));

/** The label of a category, or −1 if unknown. */
export function categoryIndex(name: string): number {
  return CATEGORY_NAMES.indexOf(name);
}
