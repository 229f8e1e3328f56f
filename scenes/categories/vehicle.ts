/** Category `vehicle` (diagnostic part: wheels); registered in ../categories.ts. */

import type { Rng } from '../../core/index.ts';
import type { PartRecord, Vec3 } from '../types.ts';
import { define } from './define.ts';
import { ALONG_Z, box, sphere, cylinder, part, SIDES } from './shapes.ts';

function build(rng: Rng): PartRecord[] {
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

export const vehicle = define({
  name: 'vehicle',
  diagnosticPart: 'wheels',
  description: 'Car: body and cabin on four wheels.',
  build,
});
