/** Category `cup` (diagnostic part: handle); registered in ../categories.ts. */

import type { Rng } from '../../core/index.ts';
import type { PartRecord, Vec3 } from '../types.ts';
import { rotX, rotZ } from '../matrix.ts';
import { define } from './define.ts';
import { cylinder, torus, part } from './shapes.ts';

function build(rng: Rng): PartRecord[] {
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

export const cup = define({
  name: 'cup',
  diagnosticPart: 'handle',
  description: 'Cup: tapered body with a half-ring handle.',
  build,
});
