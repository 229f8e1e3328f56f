import { describe, expect, it } from 'vitest';
import { myShards, planShards } from './shard-plan.ts';

describe('planShards', () => {
  it.each([
    [10, 3],
    [9, 3],
    [1, 5],
    [7, 1],
  ])(
    '%i sequences, %i per shard: every sequence once, in order, only the last shard short',
    (n, k) => {
      const plan = planShards({ sequences: n, perShard: k });
      expect(plan).toHaveLength(Math.ceil(n / k));
      const seqs = plan.flatMap((s) =>
        Array.from({ length: s.sequences }, (_, j) => s.firstSequence + j),
      );
      expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i));
      plan.forEach((s, i) => {
        expect(s.index).toBe(i);
        expect(s.firstSequence).toBe(i * k); // shard i = sequences [iK, (i+1)K)
        if (i < plan.length - 1) expect(s.sequences).toBe(k);
      });
    },
  );

  it("a shard's sequences depend only on its index and the shard size, not on the total", () => {
    const small = planShards({ sequences: 10, perShard: 4 });
    const large = planShards({ sequences: 1000, perShard: 4 });
    expect(large.slice(0, 2)).toEqual(small.slice(0, 2));
  });
});

describe('myShards', () => {
  it('splits the plan among N processes with no shard missing or made twice', () => {
    const plan = planShards({ sequences: 23, perShard: 2 });
    for (const n of [1, 2, 3, 5, 12, 20]) {
      const parts = Array.from({ length: n }, (_, i) => myShards(plan, i, n));
      const indices = parts.flatMap((p) => p.map((s) => s.index)).sort((a, b) => a - b);
      expect(indices, `${n} processes`).toEqual(plan.map((s) => s.index));
      // Round robin: process i gets shards i, i + n, …
      parts.forEach((p, i) => p.forEach((s) => expect(s.index % n).toBe(i)));
    }
  });

  it('gives a process beyond the shard count nothing to do', () => {
    const plan = planShards({ sequences: 4, perShard: 2 });
    expect(myShards(plan, 5, 8)).toEqual([]);
  });
});
