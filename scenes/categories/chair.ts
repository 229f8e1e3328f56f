/** Category `chair` (diagnostic part: backrest); registered in ../categories.ts. */

import type { Rng } from '../../core/index.ts';
import type { PartRecord, Vec3 } from '../types.ts';
import { add, rotate, rotZ } from '../matrix.ts';
import { define } from './define.ts';
import { box, cylinder, part, SIDES } from './shapes.ts';

function build(rng: Rng): PartRecord[] {
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

export const chair = define({
  name: 'chair',
  diagnosticPart: 'backrest',
  description: 'Chair: seat on four legs with a backrest.',
  build,
});
