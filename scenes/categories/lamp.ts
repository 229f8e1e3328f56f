/** Category `lamp` (diagnostic part: shade); registered in ../categories.ts. */

import type { Rng } from '../../core/index.ts';
import type { PartRecord, Vec3 } from '../types.ts';
import { add, scale, sub } from '../matrix.ts';
import { define } from './define.ts';
import { alignY, sphere, cylinder, part, rod } from './shapes.ts';

function build(rng: Rng): PartRecord[] {
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

export const lamp = define({
  name: 'lamp',
  diagnosticPart: 'shade',
  description: 'Floor or desk lamp: base, pole (and arm), shade.',
  build,
});
