import { describe, expect, it } from 'vitest';
import { median, pct, printTargets, ratioTarget, times, windowRate } from './stats.ts';

const target = (value: number, peer: number, threshold: number, atMost = false) =>
  ratioTarget({ name: 't', value, peer, threshold, atMost, format: pct, detail: 'd' });

describe('ratioTarget verdicts', () => {
  it('passes at and above an at-least threshold, misses below it', () => {
    expect(target(90, 100, 0.9).verdict).toBe('PASS'); // exactly on the line counts
    expect(target(95, 100, 0.9).verdict).toBe('PASS');
    expect(target(89, 100, 0.9).verdict).toBe('MISS');
  });

  it('with atMost, passes at and below the threshold, misses above it', () => {
    expect(target(150, 100, 1.5, true).verdict).toBe('PASS');
    expect(target(120, 100, 1.5, true).verdict).toBe('PASS');
    expect(target(151, 100, 1.5, true).verdict).toBe('MISS');
  });

  it('misses when the ratio is not a number (peer 0, NaN value): never a silent PASS', () => {
    expect(target(1, 0, 0.9).verdict).toBe('MISS'); // +∞ would pass ≥ otherwise
    expect(target(0, 0, 0.9).verdict).toBe('MISS');
    expect(target(NaN, 100, 0.9, true).verdict).toBe('MISS');
    expect(target(-1, 0, 2, true).verdict).toBe('MISS'); // −∞ would pass ≤ otherwise
  });

  it('states the ratio, the target with its direction and the detail', () => {
    const t = ratioTarget({
      name: 'memory',
      value: 3,
      peer: 2,
      threshold: 2,
      atMost: true,
      format: times,
      detail: '300 / 200 MiB',
    });
    expect(t).toEqual({
      name: 'memory',
      verdict: 'PASS',
      detail: '1.50× (target ≤ 2.00×; 300 / 200 MiB)',
    });
  });
});

describe('rates and the table', () => {
  it('median of odd and even lists, NaN for none, the input left unsorted', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('windowRate: steady state from completion times, one slow event does not move it', () => {
    // One event every 100 ms, 2 units each (20 units/s), with one 1 s stall in the middle.
    const ts = [0, 100, 200, 300, 400, 1400, 1500, 1600, 1700, 1800, 1900, 2000];
    expect(windowRate(ts, 2, 2)).toBeCloseTo(20, 9);
  });

  it('prints one aligned row per target', () => {
    const lines: string[] = [];
    printTargets(
      (l) => lines.push(l),
      [
        { name: 'a', verdict: 'PASS', detail: 'x' },
        { name: 'longer', verdict: 'SKIP', detail: 'no GPU' },
      ],
    );
    expect(lines.slice(2)).toEqual(['  PASS  a       x', '  SKIP  longer  no GPU']);
  });
});
