/** Category `bird` (diagnostic part: head); registered in ../categories.ts. */

import type { Rng } from '../../core/index.ts';
import type { PartRecord, Vec3 } from '../types.ts';
import { add, rotate, rotX, rotZ, scale, sub } from '../matrix.ts';
import { define } from './define.ts';
import { alignY, box, sphere, cylinder, capsule, part, SIDES } from './shapes.ts';

function build(rng: Rng): PartRecord[] {
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

export const bird = define({
  name: 'bird',
  diagnosticPart: 'head',
  description: 'Standing bird: body, wings, legs, tail; head with beak and eyes.',
  build,
});
