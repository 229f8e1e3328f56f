import { describe, expect, it } from 'vitest';
import { Rng } from './rng.ts';
import { chiSquare, chiSquarePValue, pearson } from './stats.ts';

const N = 1000;
/** k-th draw (k = 1..4) of each stream. */
const draws = (streams: Rng[]) => {
  const out: number[][] = [[], [], [], []];
  for (const s of streams) for (let k = 0; k < 4; k++) out[k]!.push(s.next());
  return out;
};

/** Pairs of streams whose seeds or label paths differ only slightly (what the sampler forks). */
const SIBLINGS: Record<string, (i: number) => [Rng, Rng]> = {
  'object/i vs object/i+1': (i) => {
    const p = new Rng(7).fork('sequence/3').fork('objects');
    return [p.fork(`object/${i}`), p.fork(`object/${i + 1}`)];
  },
  'numeric labels i vs i+1': (i) => [new Rng(0).fork(i), new Rng(0).fork(i + 1)],
  'sequence/i vs sequence/i+1, same child': (i) => [
    new Rng(42).fork(`sequence/${i}`).fork('camera'),
    new Rng(42).fork(`sequence/${i + 1}`).fork('camera'),
  ],
  'root seed s vs s+1': (i) => [new Rng(i, 'objects'), new Rng(i + 1, 'objects')],
  'parent vs its child': (i) => {
    const p = new Rng(i, 'sequence/0');
    return [p, p.fork('objects')];
  },
};

describe('Rng streams', () => {
  it('is deterministic: same seed and path, same numbers', () => {
    const a = new Rng(5).fork('x').fork(3);
    const b = new Rng(5, '/x/3');
    expect([a.next(), a.next(), a.int(0, 9)]).toEqual([b.next(), b.next(), b.int(0, 9)]);
    expect(new Rng(0).next()).not.toBe(new Rng(0, 'a').next());
    expect(Number.isInteger(a.streamSeed) && a.streamSeed >= 0 && a.streamSeed < 2 ** 32).toBe(
      true,
    );
  });

  // Under independence r ~ N(0, 1/√N); 4 standard errors leave a false alarm at ~6e-5 per check.
  it.each(Object.keys(SIBLINGS))(
    'sibling streams (%s): the k-th draws are uncorrelated, k = 1..4',
    (name) => {
      const pairs = Array.from({ length: N }, (_, i) => SIBLINGS[name]!(i));
      const a = draws(pairs.map((p) => p[0]));
      const b = draws(pairs.map((p) => p[1]));
      const se = 1 / Math.sqrt(N);
      for (let k = 0; k < 4; k++) {
        expect(Math.abs(pearson(a[k]!, b[k]!)), `draw ${k + 1}`).toBeLessThan(4 * se);
        // Same decile 10 % of the time (binomial SE ≈ 0.95 %).
        const same = a[k]!.filter((v, i) => Math.floor(v * 10) === Math.floor(b[k]![i]! * 10));
        expect(Math.abs(same.length / N - 0.1), `draw ${k + 1} same decile`).toBeLessThan(
          4 * Math.sqrt(0.09 / N),
        );
      }
    },
  );

  it('the k-th draw across 1,000 sibling forks is uniform and uncorrelated with the next sibling', () => {
    const parent = new Rng(11, 'objects');
    const d = draws(Array.from({ length: N }, (_, i) => parent.fork(`object/${i}`)));
    for (let k = 0; k < 4; k++) {
      const counts = new Array<number>(20).fill(0);
      for (const v of d[k]!) counts[Math.floor(v * 20)]!++;
      expect(
        chiSquarePValue(
          chiSquare(
            counts,
            counts.map(() => N / 20),
          ),
          19,
        ),
      ).toBeGreaterThan(1e-3);
      // Lag-1 autocorrelation along the sibling index.
      expect(Math.abs(pearson(d[k]!.slice(1), d[k]!.slice(0, -1)))).toBeLessThan(4 / Math.sqrt(N));
    }
  });

  it('draws within one stream are uniform over 10 bins and serially uncorrelated', () => {
    const r = new Rng(3, 'long');
    const xs = Array.from({ length: 20_000 }, () => r.next());
    const counts = new Array<number>(10).fill(0);
    for (const v of xs) counts[Math.floor(v * 10)]!++;
    expect(
      chiSquarePValue(
        chiSquare(
          counts,
          counts.map(() => xs.length / 10),
        ),
        9,
      ),
    ).toBeGreaterThan(1e-3);
    expect(Math.abs(pearson(xs.slice(1), xs.slice(0, -1)))).toBeLessThan(4 / Math.sqrt(xs.length));
  });
});

describe('chiSquarePValue', () => {
  it('matches tabulated χ² critical values', () => {
    expect(chiSquarePValue(3.841, 1)).toBeCloseTo(0.05, 4);
    expect(chiSquarePValue(16.919, 9)).toBeCloseTo(0.05, 4);
    expect(chiSquarePValue(123.225, 99)).toBeCloseTo(0.05, 4);
    expect(chiSquarePValue(21.666, 9)).toBeCloseTo(0.01, 4);
    expect(chiSquarePValue(0.5, 3)).toBeCloseTo(0.918891, 5);
  });
});
