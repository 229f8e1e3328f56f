/** Which sequences go in which shard, and which shards this process makes. */

export interface ShardPlan {
  index: number;
  firstSequence: number;
  sequences: number;
}

export function planShards(opts: { sequences: number; perShard: number }): ShardPlan[] {
  const count = Math.ceil(opts.sequences / opts.perShard);
  return Array.from({ length: count }, (_, index) => {
    const firstSequence = index * opts.perShard;
    return {
      index,
      firstSequence,
      sequences: Math.min(opts.perShard, opts.sequences - firstSequence),
    };
  });
}

/** Shard i belongs to process `shardIndex` of `numShards` when i mod numShards = shardIndex. */
export function myShards(plan: ShardPlan[], shardIndex: number, numShards: number): ShardPlan[] {
  return plan.filter((s) => s.index % numShards === shardIndex);
}
