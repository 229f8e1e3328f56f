import { describe, it, expect } from 'vitest';
import { Rng } from '../core/index.ts';
import { CATEGORIES, CATEGORY_NAMES, categoryIndex, partBounds } from './categories.ts';
import type { PartRecord, Quat, Vec3 } from './types.ts';

const SEEDS = Array.from({ length: 20 }, (_, i) => i * 7919 + 1);

function build(name: string, seed: number): PartRecord[] {
  const def = CATEGORIES.find((c) => c.name === name);
  if (!def) throw new Error(`no category ${name}`);
  return def.build(new Rng(seed).fork(`object/${name}`));
}

function rotate(q: Quat, v: Vec3): Vec3 {
  const [x, y, z, w] = q;
  // Full rotation matrix, written independently of the module's helper.
  const m = [
    [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
    [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
    [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
  ] as const;
  return m.map((r) => r[0] * v[0] + r[1] * v[1] + r[2] * v[2]) as Vec3;
}

function toWorld(p: PartRecord, local: Vec3): Vec3 {
  const r = rotate(p.rotation, local);
  return [r[0] + p.position[0], r[1] + p.position[1], r[2] + p.position[2]];
}

interface Box3 {
  min: Vec3;
  max: Vec3;
}

function boxOf(points: Vec3[]): Box3 {
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const q of points) {
    for (const i of [0, 1, 2] as const) {
      min[i] = Math.min(min[i], q[i]);
      max[i] = Math.max(max[i], q[i]);
    }
  }
  return { min, max };
}

function union(boxes: Box3[]): Box3 {
  return boxOf(boxes.flatMap((b) => [b.min, b.max]));
}

/** Outer bound: exact for spheres and capsules, rotated local-AABB corners for the rest. */
function outer(p: PartRecord): Box3 {
  const s = p.shape;
  if (s.kind === 'sphere' || s.kind === 'capsule') {
    const r = s.radius;
    const half = s.kind === 'capsule' ? s.length / 2 : 0;
    const ends = [toWorld(p, [0, half, 0]), toWorld(p, [0, -half, 0])];
    const b = boxOf(ends);
    return { min: b.min.map((v) => v - r) as Vec3, max: b.max.map((v) => v + r) as Vec3 };
  }
  const h: Vec3 =
    s.kind === 'box'
      ? [s.size[0] / 2, s.size[1] / 2, s.size[2] / 2]
      : s.kind === 'cylinder'
        ? [
            Math.max(s.radiusTop, s.radiusBottom),
            s.height / 2,
            Math.max(s.radiusTop, s.radiusBottom),
          ]
        : [s.radius + s.tube, s.radius + s.tube, s.tube];
  const corners: Vec3[] = [];
  for (const sx of [-1, 1])
    for (const sy of [-1, 1])
      for (const sz of [-1, 1]) corners.push(toWorld(p, [sx * h[0], sy * h[1], sz * h[2]]));
  return boxOf(corners);
}

/** Points on the surface; their box lies inside the true bounds. */
function surfacePoints(p: PartRecord): Vec3[] {
  const s = p.shape;
  const pts: Vec3[] = [];
  const n = 96;
  const axes: Vec3[] = [
    [1, 0, 0],
    [-1, 0, 0],
    [0, 1, 0],
    [0, -1, 0],
    [0, 0, 1],
    [0, 0, -1],
  ];
  switch (s.kind) {
    case 'box':
      for (const sx of [-1, 1])
        for (const sy of [-1, 1])
          for (const sz of [-1, 1])
            pts.push(
              toWorld(p, [(sx * s.size[0]) / 2, (sy * s.size[1]) / 2, (sz * s.size[2]) / 2]),
            );
      break;
    case 'sphere':
    case 'capsule': {
      const half = s.kind === 'capsule' ? s.length / 2 : 0;
      for (const e of [toWorld(p, [0, half, 0]), toWorld(p, [0, -half, 0])])
        for (const a of axes)
          pts.push([e[0] + a[0] * s.radius, e[1] + a[1] * s.radius, e[2] + a[2] * s.radius]);
      break;
    }
    case 'cylinder':
      for (let i = 0; i < n; i++) {
        const t = (2 * Math.PI * i) / n;
        const [c, d] = [Math.cos(t), Math.sin(t)];
        pts.push(toWorld(p, [c * s.radiusTop, s.height / 2, d * s.radiusTop]));
        pts.push(toWorld(p, [c * s.radiusBottom, -s.height / 2, d * s.radiusBottom]));
      }
      break;
    case 'torus':
      for (let i = 0; i <= n; i++) {
        const t = (s.arc * i) / n;
        for (let j = 0; j < 24; j++) {
          const u = (2 * Math.PI * j) / 24;
          const r = s.radius + s.tube * Math.cos(u);
          pts.push(toWorld(p, [r * Math.cos(t), r * Math.sin(t), s.tube * Math.sin(u)]));
        }
      }
      break;
  }
  return pts;
}

const inner = (p: PartRecord): Box3 => boxOf(surfacePoints(p));

/** Parts that must rest on the ground; 'any' where one of several may (cup with/without saucer). */
const GROUND: Record<string, { pattern: RegExp; mode: 'all' | 'any' }> = {
  quadruped: { pattern: /^leg-/, mode: 'all' },
  bird: { pattern: /^foot-/, mode: 'all' },
  vehicle: { pattern: /^wheel-/, mode: 'all' },
  chair: { pattern: /^leg-/, mode: 'all' },
  lamp: { pattern: /^base$/, mode: 'all' },
  tree: { pattern: /^trunk$/, mode: 'all' },
  cup: { pattern: /^(body|saucer)$/, mode: 'any' },
  fish: { pattern: /^base$/, mode: 'all' },
  airplane: { pattern: /^wheel-/, mode: 'all' },
  table: { pattern: /^(leg-|foot$)/, mode: 'all' },
};

describe('category registry', () => {
  it('keeps the contracted order and at least 10 categories', () => {
    expect(CATEGORY_NAMES.slice(0, 8)).toEqual([
      'quadruped',
      'bird',
      'vehicle',
      'chair',
      'lamp',
      'tree',
      'cup',
      'fish',
    ]);
    expect(CATEGORIES.length).toBeGreaterThanOrEqual(10);
    expect(new Set(CATEGORY_NAMES).size).toBe(CATEGORY_NAMES.length);
    CATEGORY_NAMES.forEach((name, i) => expect(categoryIndex(name)).toBe(i));
    expect(categoryIndex('unicorn')).toBe(-1);
  });

  it('names the required diagnostic parts', () => {
    const diag = Object.fromEntries(CATEGORIES.map((c) => [c.name, c.diagnosticPart]));
    expect(diag).toMatchObject({
      quadruped: 'head',
      bird: 'head',
      vehicle: 'wheels',
      chair: 'backrest',
      lamp: 'shade',
      tree: 'crown',
      cup: 'handle',
      fish: 'tail',
    });
    for (const c of CATEGORIES) expect(c.description.length).toBeGreaterThan(0);
  });

  it('has a ground-contact rule for every category', () => {
    for (const name of CATEGORY_NAMES) expect(GROUND[name], name).toBeDefined();
  });
});

describe.each(CATEGORIES.map((c) => c.name))('%s', (name) => {
  it('is deterministic per seed and varies across seeds', () => {
    for (const seed of SEEDS) {
      expect(build(name, seed)).toEqual(build(name, seed));
      expect(build(name, seed)).not.toEqual(build(name, seed + 1));
    }
  });

  it('builds well-formed parts', () => {
    for (const seed of SEEDS) {
      const parts = build(name, seed);
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.length).toBeLessThanOrEqual(16);
      expect(parts.some((p) => p.diagnostic)).toBe(true);
      expect(parts.some((p) => !p.diagnostic)).toBe(true);
      expect(new Set(parts.map((p) => p.name)).size).toBe(parts.length);
      for (const p of parts) {
        const numbers = [
          ...p.position,
          ...p.rotation,
          ...Object.values(p.shape).filter((v) => typeof v === 'number'),
          ...(p.shape.kind === 'box' ? p.shape.size : []),
        ];
        for (const v of numbers) expect(Number.isFinite(v), `${p.name}: ${v}`).toBe(true);
        expect(Math.hypot(...p.rotation)).toBeCloseTo(1, 10);
        expect(['primary', 'secondary', 'detail']).toContain(p.material);
        const s = p.shape;
        const dims =
          s.kind === 'box'
            ? s.size
            : s.kind === 'sphere'
              ? [s.radius]
              : s.kind === 'cylinder'
                ? [Math.max(s.radiusTop, s.radiusBottom), s.height]
                : s.kind === 'capsule'
                  ? [s.radius]
                  : [s.radius, s.tube, s.arc];
        for (const d of dims) expect(d, p.name).toBeGreaterThan(0);
        if (s.kind === 'cylinder')
          expect(Math.min(s.radiusTop, s.radiusBottom)).toBeGreaterThanOrEqual(0);
        if (s.kind === 'capsule') expect(s.length).toBeGreaterThanOrEqual(0);
        if (s.kind === 'torus') expect(s.arc).toBeLessThanOrEqual(2 * Math.PI + 1e-12);
      }
    }
  });

  it('stands on the ground, is centred and about a metre in size', () => {
    const rule = GROUND[name];
    if (!rule) throw new Error(`no ground rule for ${name}`);
    for (const seed of SEEDS) {
      const parts = build(name, seed);
      for (const p of parts) {
        expect(outer(p).min[1], `${name}/${seed}/${p.name}`).toBeGreaterThanOrEqual(-1e-6);
      }
      // Resting, not floating: the named contact parts really reach y = 0.
      const contacts = parts.filter((p) => rule.pattern.test(p.name));
      expect(contacts.length).toBeGreaterThan(0);
      const touching = contacts.map((p) => inner(p).min[1] <= 1e-3);
      if (rule.mode === 'all') expect(touching, `${name}/${seed}`).not.toContain(false);
      else expect(touching, `${name}/${seed}`).toContain(true);

      const out = union(parts.map(outer));
      const inn = union(parts.map(inner));
      const outSize = out.max.map((v, i) => v - (out.min[i] ?? 0));
      const innSize = inn.max.map((v, i) => v - (inn.min[i] ?? 0));
      expect(Math.max(...outSize)).toBeLessThanOrEqual(2.0);
      expect(Math.max(...innSize)).toBeGreaterThanOrEqual(0.3);
      // Footprint centred on the origin (the outer box may be a little lopsided).
      expect(Math.abs(out.min[0] + out.max[0]) / 2).toBeLessThan(0.1);
      expect(Math.abs(out.min[2] + out.max[2]) / 2).toBeLessThan(0.1);
    }
  });

  it('reports part bounds between the sampled surface and the outer bound', () => {
    for (const seed of SEEDS.slice(0, 5)) {
      for (const p of build(name, seed)) {
        const b = partBounds(p);
        const i = inner(p);
        const o = outer(p);
        for (const k of [0, 1, 2] as const) {
          expect(b.min[k]).toBeLessThanOrEqual(i.min[k] + 1e-9);
          expect(b.max[k]).toBeGreaterThanOrEqual(i.max[k] - 1e-9);
          expect(b.min[k]).toBeGreaterThanOrEqual(o.min[k] - 1e-9);
          expect(b.max[k]).toBeLessThanOrEqual(o.max[k] + 1e-9);
        }
      }
    }
  });
});

describe('category geometry', () => {
  it('gives vehicles four wheels with their axis along z', () => {
    for (const seed of SEEDS) {
      const wheels = build('vehicle', seed).filter((p) => p.name.startsWith('wheel-'));
      expect(wheels).toHaveLength(4);
      for (const w of wheels) {
        expect(w.diagnostic).toBe(true);
        const axis = rotate(w.rotation, [0, 1, 0]);
        expect(Math.abs(axis[2])).toBeCloseTo(1, 10);
      }
    }
  });

  it('marks exactly the diagnostic meshes', () => {
    const expected: Record<string, RegExp> = {
      quadruped: /^(head|snout|nose|eye-|ear-)/,
      bird: /^(head|beak|eye-|crest)/,
      vehicle: /^(wheel-|hub-)/,
      chair: /^backrest/,
      lamp: /^shade$/,
      tree: /^crown-/,
      cup: /^handle$/,
      fish: /^tail-/,
      airplane: /^wing-/,
      table: /^tabletop$/,
    };
    for (const name of CATEGORY_NAMES) {
      const pattern = expected[name];
      if (!pattern) throw new Error(`no expectation for ${name}`);
      for (const seed of SEEDS) {
        for (const p of build(name, seed)) expect(p.diagnostic, p.name).toBe(pattern.test(p.name));
      }
    }
  });

  it('sweeps aeroplane wing tips back and up', () => {
    for (const seed of SEEDS) {
      const parts = build('airplane', seed);
      const right = parts.find((p) => p.name === 'wing-right');
      const left = parts.find((p) => p.name === 'wing-left');
      if (!right || !left || right.shape.kind !== 'box') throw new Error('wings missing');
      const half = right.shape.size[2] / 2;
      const rTip = toWorld(right, [0, 0, half]);
      const rRoot = toWorld(right, [0, 0, -half]);
      expect(rTip[2]).toBeGreaterThan(rRoot[2]);
      expect(rTip[0]).toBeLessThanOrEqual(rRoot[0] + 1e-9);
      expect(rTip[1]).toBeGreaterThanOrEqual(rRoot[1] - 1e-9);
      // Mirror images in z.
      expect(left.position[0]).toBeCloseTo(right.position[0], 10);
      expect(left.position[2]).toBeCloseTo(-right.position[2], 10);
    }
  });
});
