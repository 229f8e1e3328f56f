import { beforeAll, describe, expect, it } from 'vitest';
import { chiSquare, chiSquarePValue } from '../core/index.ts';
import { parseSpec } from './load-spec.ts';
import { loadPhysics } from './physics.ts';
import { PRESETS } from './presets.ts';
import { sampleScene } from './sampler.ts';

/**
 * Category statistics of sampled scenes against the spec's distribution (each object's category
 * uniform over `objects.categories`, independently of the others). Sibling object streams that
 * were correlated gave one shared category in ~95 % of multi-object scenes (issue 18).
 */

/**
 * Scenes to sample: enough disjoint object pairs for ≥ 5.5 expected per co-occurrence cell (physics
 * scenes cost ~40 ms each, the others ~1 ms), or 30 objects per category with one object.
 */
function budget(count: readonly [number, number], categories: number): number {
  if (count[1] === 1) return 30 * categories;
  let pairs = 0;
  for (let k = count[0]; k <= count[1]; k++) pairs += Math.floor(k / 2);
  return Math.ceil((5.5 * categories ** 2) / (pairs / (count[1] - count[0] + 1)));
}
const P_MIN = 1e-3;

beforeAll(() => loadPhysics());

describe.each(PRESETS.map((p) => p.name))('preset %s: object categories', (name) => {
  const spec = parseSpec(PRESETS.find((p) => p.name === name)!.spec);
  const cats = spec.objects.categories;
  const C = cats.length;
  let scenes: string[][] = [];
  beforeAll(() => {
    const n = budget(spec.objects.count, C);
    scenes = Array.from({ length: n }, (_, i) =>
      sampleScene({ ...spec, sequences: n }, i).objects.map((o) => o.category),
    );
  });

  it('marginal: every category as often as the spec says', () => {
    const counts = new Array<number>(C).fill(0);
    for (const s of scenes) for (const c of s) counts[cats.indexOf(c)]!++;
    const total = counts.reduce((a, b) => a + b, 0);
    const p = chiSquarePValue(
      chiSquare(
        counts,
        counts.map(() => total / C),
      ),
      C - 1,
    );
    expect(p, `counts ${counts.join(',')}`).toBeGreaterThan(P_MIN);
  });

  const multi = spec.objects.count[1] > 1;
  it.skipIf(!multi)('co-occurrence: categories of objects in one scene are independent', () => {
    // Disjoint pairs (0,1), (2,3), … are independent draws under the spec, so their C×C table is
    // multinomial with cell probability 1/C².
    const table = new Array<number>(C * C).fill(0);
    let pairs = 0;
    let allSame = 0;
    let expectedAllSame = 0;
    for (const s of scenes) {
      for (let i = 0; i + 1 < s.length; i += 2) {
        table[cats.indexOf(s[i]!) * C + cats.indexOf(s[i + 1]!)]!++;
        pairs++;
      }
      if (s.length > 1) {
        if (new Set(s).size === 1) allSame++;
        expectedAllSame += C ** (1 - s.length);
      }
    }
    expect(pairs / (C * C), 'expected count per cell').toBeGreaterThanOrEqual(5);
    const p = chiSquarePValue(
      chiSquare(
        table,
        table.map(() => pairs / (C * C)),
      ),
      C * C - 1,
    );
    expect(p).toBeGreaterThan(P_MIN);
    // All objects sharing one category: Poisson-binomial count, SD ≤ √mean; allow 4 SD.
    expect(Math.abs(allSame - expectedAllSame)).toBeLessThan(4 * Math.sqrt(expectedAllSame) + 1);
  });
});
