/** Category `table` (diagnostic part: tabletop); registered in ../categories.ts. */

import type { Rng } from '../../core/index.ts';
import type { PartRecord, Vec3 } from '../types.ts';
import { define } from './define.ts';
import { box, cylinder, part, rod, SIDES } from './shapes.ts';

function build(rng: Rng): PartRecord[] {
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

export const table = define({
  name: 'table',
  diagnosticPart: 'tabletop',
  description: 'Table: rectangular top on four legs, or round top on a pedestal.',
  build,
});
