/** Category `quadruped` (diagnostic part: head); registered in ../categories.ts. */

import type { Rng } from '../../core/index.ts';
import type { PartRecord, Vec3 } from '../types.ts';
import { add, normalise, rotate, rotX, scale } from '../matrix.ts';
import { define } from './define.ts';
import { ALONG_X, sphere, cylinder, capsule, part, rod, SIDES } from './shapes.ts';

function build(rng: Rng): PartRecord[] {
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

export const quadruped = define({
  name: 'quadruped',
  diagnosticPart: 'head',
  description: 'Four-legged animal: body, legs, tail; head with ears and snout.',
  build,
});
