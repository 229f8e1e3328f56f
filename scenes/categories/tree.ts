/** Category `tree` (diagnostic part: crown); registered in ../categories.ts. */

import type { Rng } from '../../core/index.ts';
import type { PartRecord, Vec3 } from '../types.ts';
import { add, scale } from '../matrix.ts';
import { define } from './define.ts';
import { sphere, cylinder, part } from './shapes.ts';

function build(rng: Rng): PartRecord[] {
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

export const tree = define({
  name: 'tree',
  diagnosticPart: 'crown',
  description: 'Tree: trunk with a round or conifer crown.',
  build,
});
