import { describe, expect, it } from 'vitest';
import { DatadietError } from '../core/errors.ts';
import { shardArgs, shardDefaults } from './generate.ts';

// --shard-index/--num-shards from the scheduler's environment: Kubernetes Indexed Jobs and
// Slurm job arrays, so one sbatch array splits a dataset with no coordinator.
describe('shard defaults from the environment', () => {
  it('takes a Slurm array task from its id, offset by the array minimum, and the task count', () => {
    const slurm = {
      SLURM_ARRAY_TASK_ID: '5',
      SLURM_ARRAY_TASK_MIN: '1',
      SLURM_ARRAY_TASK_COUNT: '8',
    };
    expect(shardDefaults(slurm)).toEqual({ shardIndex: 4, numShards: 8 });
    expect(shardArgs({}, slurm)).toEqual({ shardIndex: 4, numShards: 8 });
    expect(shardArgs({}, { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '3' })).toEqual({
      shardIndex: 0,
      numShards: 3,
    });
    // Flags win; a Kubernetes index wins over Slurm; no scheduler: process 0 of 1.
    expect(shardArgs({ shardIndex: 1, numShards: 2 }, slurm)).toEqual({
      shardIndex: 1,
      numShards: 2,
    });
    expect(shardArgs({ numShards: 4 }, { JOB_COMPLETION_INDEX: '3' })).toEqual({
      shardIndex: 3,
      numShards: 4,
    });
    expect(shardArgs({}, {})).toEqual({ shardIndex: 0, numShards: 1 });
  });

  it('an array with gaps or a bad id is a usage error naming the flag', () => {
    // --array=0,2,4 has count 3 but task id 4: outside 0..2.
    const e = (() => {
      try {
        shardArgs({}, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '3' });
      } catch (err) {
        return err;
      }
    })() as DatadietError;
    expect(e).toBeInstanceOf(DatadietError);
    expect(e.code).toBe('CLI_USAGE');
    expect(e.message).toMatch(/--shard-index must be an integer in 0\.\.2, got 4/);
    expect(e.hint).toMatch(/sbatch --array/);
  });
});
