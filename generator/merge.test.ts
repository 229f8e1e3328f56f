import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { expectDatadietError } from '../core/test-helpers.ts';
import { writeJsonAtomic } from '../core/index.ts';
import { mergeManifest } from './merge.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'datadiet-merge-'));
  await mkdir(join(dir, 'shards'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mergeManifest reads sidecars through ShardSidecarSchema', () => {
  it('a wrong-typed sidecar field is DATASET_CORRUPT naming the file and field', async () => {
    const record = { file: 'shard-000000.tar', samples: '2', bytes: 0, sha256: 'x', index: 0 };
    await writeJsonAtomic(join(dir, 'shards', 'shard-000000.json'), {
      fingerprint: 'f',
      record: { ...record, first_sequence: 0 },
    });
    await expectDatadietError(
      mergeManifest(dir),
      'DATASET_CORRUPT',
      /shards\/shard-000000\.json: record\.samples is not a number/,
    );
  });
});
