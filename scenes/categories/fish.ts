/** Category `fish` (diagnostic part: tail); registered in ../categories.ts. */

import type { Rng } from '../../core/index.ts';
import type { PartRecord, Vec3 } from '../types.ts';
import { add, qmul, rotate, rotY, rotZ } from '../matrix.ts';
import { define } from './define.ts';
import { ALONG_X, box, sphere, cylinder, capsule, part, rod, SIDES } from './shapes.ts';

function build(rng: Rng): PartRecord[] {
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

export const fish = define({
  name: 'fish',
  diagnosticPart: 'tail',
  description: 'Fish on a display stand: body, fins, forked tail.',
  build,
});
