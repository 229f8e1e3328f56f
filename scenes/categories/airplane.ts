/** Category `airplane` (diagnostic part: wings); registered in ../categories.ts. */

import type { Rng } from '../../core/index.ts';
import type { PartRecord, Vec3 } from '../types.ts';
import { add, qmul, rotate, rotX, rotY, rotZ } from '../matrix.ts';
import { define } from './define.ts';
import { ALONG_X, ALONG_Z, box, sphere, cylinder, capsule, part, rod, SIDES } from './shapes.ts';

function build(rng: Rng): PartRecord[] {
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

export const airplane = define({
  name: 'airplane',
  diagnosticPart: 'wings',
  description: 'Aeroplane on landing gear: fuselage, wings, tail.',
  build,
});
