import { execFile } from 'node:child_process';
import { runCli } from '../cli/test-helpers.ts';
import { existsSync } from 'node:fs';
import { cp, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../core/index.ts';
import { readJson, writeJsonAtomic, verifyDataset } from '../output/index.ts';
import { datasetFingerprint } from './dataset-meta.ts';
import type { Sidecar } from './generate.ts';
import { tempDir } from './test-helpers.ts';

const BIN = join(projectRoot(), 'bin', 'datadiet.js');
const FLAGS = [
  '--sequences',
  '4',
  '--sequences-per-shard',
  '1',
  '--frames',
  '2',
  '--width',
  '32',
  '--height',
  '32',
  '--seed',
  '21',
];

const run = runCli;

/** Every file under shards/ plus the manifest, name → bytes. */
async function files(dir: string): Promise<Map<string, Buffer>> {
  const m = new Map<string, Buffer>();
  for (const n of (await readdir(join(dir, 'shards'))).sort())
    m.set(`shards/${n}`, await readFile(join(dir, 'shards', n)));
  m.set('manifest.json', await readFile(join(dir, 'manifest.json')));
  return m;
}

describe('scale out: --num-shards 2 in two processes, then `datadiet manifest`', () => {
  let root: string;
  let single: string;
  let split: string;

  beforeAll(async () => {
    root = await tempDir('scale');
    single = join(root, 'single');
    split = join(root, 'split');
    // Two independent OS processes sharing one output folder, as two Job pods on a shared volume;
    // the second takes its index from JOB_COMPLETION_INDEX, as a pod does.
    const exec = promisify(execFile);
    const args = [BIN, 'generate', '--out', split, ...FLAGS, '--num-shards', '2'];
    const both = Promise.all([
      exec(process.execPath, [...args, '--shard-index', '0']),
      exec(process.execPath, args, { env: { ...process.env, JOB_COMPLETION_INDEX: '1' } }),
    ]);
    const one = await run(['generate', '--out', single, ...FLAGS]);
    expect(one.code).toBe(0);
    const [a, b] = await both;
    expect(a.stdout).toMatch(/2 of 4 shards are this process's \(0\/2\)/);
    expect(b.stdout).toMatch(/2 of 4 shards are this process's \(1\/2\)/);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('gives byte-identical shards, sidecars and manifest to one process making all shards', async () => {
    // Whichever process finished last may have written the manifest: remove it, merge anew.
    await rm(join(split, 'manifest.json'), { force: true });
    const r = await run(['manifest', split]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^manifest: .*manifest\.json: 4 shards, 4 sequences/);
    const a = await files(single);
    const b = await files(split);
    expect([...b.keys()]).toEqual([...a.keys()]);
    expect(a.size).toBe(9); // 4 tars, 4 sidecars, the manifest
    for (const [name, bytes] of a) expect(b.get(name)!.equals(bytes), name).toBe(true);
    expect((await verifyDataset(split)).problems).toEqual([]);
  });

  it('refuses to merge while a shard is missing, naming it', async () => {
    const dir = join(root, 'missing');
    await cp(single, dir, { recursive: true });
    await rm(join(dir, 'manifest.json'));
    await rm(join(dir, 'shards', 'shard-000002.json'));
    await rm(join(dir, 'shards', 'shard-000003.tar'));
    const r = await run(['manifest', dir]);
    expect(r.code).toBe(6);
    expect(r.err).toEqual([
      expect.stringMatching(
        /^error\[SHARDS_MISSING\]: .*2 of 4 shards are missing or incomplete: 2-3 \(fix: rerun/,
      ),
    ]);
    expect(existsSync(join(dir, 'manifest.json'))).toBe(false);
  });

  it('refuses to merge shards of two different datasets', async () => {
    const dir = join(root, 'mixed');
    await cp(single, dir, { recursive: true });
    await rm(join(dir, 'manifest.json'));
    // Shard 1's sidecar as another seed's run would have written it (a self-consistent fingerprint).
    const path = join(dir, 'shards', 'shard-000001.json');
    const sc = await readJson<Sidecar>(path);
    const spec = { ...sc.spec!, seed: 22 };
    await writeJsonAtomic(path, {
      ...sc,
      spec,
      fingerprint: datasetFingerprint(spec, sc.generator_version!),
    });
    const r = await run(['manifest', dir]);
    expect(r.code).toBe(6);
    expect(r.err).toEqual([
      expect.stringMatching(
        /^error\[SHARDS_MISMATCH\]: .*shards come from 2 different datasets: shard-000000\.json .* vs shard-000001\.json/,
      ),
    ]);
    expect(existsSync(join(dir, 'manifest.json'))).toBe(false);
  });
});
