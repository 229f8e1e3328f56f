import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot, tempDir, DatadietError } from '../core/index.ts';
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

// The sbatch scripts as Slurm would run them, with `apptainer run` standing in for the image
// (a shim that runs this checkout): two array tasks, then the merge job.
describe('deploy/slurm', () => {
  it('an array of 2 tasks makes one dataset; the merge job writes and verifies its manifest', async () => {
    const root = projectRoot();
    const dir = await tempDir('slurm');
    const bin = join(dir, 'bin');
    await mkdir(bin);
    // apptainer run [--nv] [--bind DIR] SIF ARGS… → node bin/datadiet.js ARGS…
    await writeFile(
      join(bin, 'apptainer'),
      `#!/usr/bin/env bash\nshift; while [[ "$1" == --* ]]; do [[ "$1" == --bind ]] && shift; shift; done; shift\nexec "${process.execPath}" "${join(root, 'bin', 'datadiet.js')}" "$@"\n`,
      { mode: 0o755 },
    );
    const out = join(dir, 'data', 'tiny');
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      OUT: out,
      PRESET: 'default',
      SEQUENCES: '4',
      GL: 'swiftshader',
      EXTRA_ARGS: '--width 16 --height 16 --frames 2 --sequences-per-shard 1 --layers rgb',
      SLURM_ARRAY_TASK_MIN: '0',
      SLURM_ARRAY_TASK_COUNT: '2',
    };
    const sbatch = (script: string, extra: Record<string, string> = {}) =>
      promisify(execFile)('bash', [join(root, 'deploy', 'slurm', script)], {
        env: { ...env, ...extra },
        cwd: dir,
        timeout: 120_000,
      });
    await sbatch('generate-array.sbatch', { SLURM_ARRAY_TASK_ID: '1' });
    // Task 1 made shards 1 and 3 of 4 only.
    expect((await readdir(join(out, 'shards'))).filter((f) => f.endsWith('.tar')).sort()).toEqual([
      'shard-000001.tar',
      'shard-000003.tar',
    ]);
    await sbatch('generate-array.sbatch', { SLURM_ARRAY_TASK_ID: '0' });
    const merged = await sbatch('merge-after.sbatch');
    expect(merged.stdout).toMatch(/OK/);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.shards).toHaveLength(4);
    expect(manifest.renderer.gl).toBe('swiftshader');
  }, 240_000);
});
