/**
 * The s3:// code paths against a real S3-compatible server: s3rver (npm), started here as its own
 * process on a loopback port, spoken to by the real AWS SDK v3 over HTTP.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { runCli } from '../../cli/test-helpers.ts';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../core/index.ts';
import type { GenerateEvent } from '../../generator/index.ts';
import { generateTiny } from '../../generator/test-helpers.ts';
import { readDataset, readManifest, type Sample } from '../reader.ts';
import { verifyDataset } from '../verify.ts';
import { S3Storage } from './s3.ts';

const SPEC = { sequences: 4, sequences_per_shard: 2, frames: 2, width: 32, height: 32, seed: 41 };
const BUCKET = 'datadiet';
const URL = `s3://${BUCKET}/runs/tiny`;

let server: ChildProcess;
let serverLog = '';
let dataDir: string;
let endpoint: string;
let client: S3Client;
let local: string;
const ENV_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_ENDPOINT_URL',
  'AWS_PROFILE',
] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

const run = runCli;

async function getObject(key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

async function collect(gen: AsyncGenerator<Sample>) {
  const out: { key: string; members: [string, string][] }[] = [];
  for await (const s of gen)
    out.push({ key: s.key, members: [...s.members].map(([n, b]) => [n, b.toString('base64')]) });
  return out;
}

beforeAll(async () => {
  // Dummy credentials for s3rver; never fall through to the EC2 metadata service.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  delete process.env.AWS_ENDPOINT_URL;
  delete process.env.AWS_PROFILE;
  dataDir = await mkdtemp(join(tmpdir(), 'datadiet-s3rver-'));
  const bin = join(projectRoot(), 'node_modules', 's3rver', 'bin', 's3rver.js');
  server = spawn(
    process.execPath,
    [bin, '-d', dataDir, '-a', '127.0.0.1', '-p', '0', '--configure-bucket', BUCKET],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    server.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      serverLog += d.toString();
      const m = /listening on [^:]+:(\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    server.once('exit', (code) => reject(new Error(`s3rver exited (${code}): ${text}`)));
  });
  endpoint = `http://127.0.0.1:${port}`;
  client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
  local = (await generateTiny(SPEC)).out;
});

afterAll(async () => {
  client?.destroy();
  server?.kill();
  await rm(dataDir, { recursive: true, force: true });
  await rm(local, { recursive: true, force: true });
  await rm(new S3Storage(URL).stagingDir, { recursive: true, force: true });
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

describe('datasets on S3-compatible storage (s3rver)', () => {
  it('generate --out s3://… writes the same shards as a local run, and readers stream them', async () => {
    const storage = { s3: { endpoint } };
    const { result } = await generateTiny(SPEC, { out: URL, storage });
    expect(result.manifest).toBe(`${URL}/manifest.json`);
    const remote = await readManifest(URL, storage);
    const here = await readManifest(local);
    expect(remote.shards).toEqual(here.shards);
    // The objects themselves, byte for byte.
    const object = await getObject('runs/tiny/shards/shard-000001.tar');
    expect(object.equals(await readFile(join(local, 'shards', 'shard-000001.tar')))).toBe(true);
    expect(await collect(readDataset(URL, storage))).toEqual(await collect(readDataset(local)));
    expect((await getObject('runs/tiny/previews/seq-00000000.png')).length).toBeGreaterThan(100);
    // Nothing left in the local staging folder.
    const staging = new S3Storage(URL, { endpoint }).stagingDir;
    expect(existsSync(staging) ? await readdir(staging) : []).toEqual([]);
  });

  it('a rerun skips the complete shards (size and sha256 recorded on the objects)', async () => {
    const events: GenerateEvent[] = [];
    await generateTiny(SPEC, {
      out: URL,
      storage: { s3: { endpoint } },
      onEvent: (e) => events.push(e),
    });
    expect(events[0]).toMatchObject({ type: 'plan', skipped: 2, sequencesToRender: 0 });
  });

  it('`verify s3://…` passes; `manifest s3://…` reassembles the same manifest', async () => {
    const v = await run(['verify', URL, '--s3-endpoint', endpoint]);
    expect(v.err).toEqual([]);
    expect(v.code).toBe(0);
    expect(v.out.at(-1)).toMatch(/^verify: OK: s3:\/\/datadiet\/runs\/tiny: 2 shards .*4 samples/);

    // As a separate process, with the endpoint from the environment: it exits when done.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(projectRoot(), 'bin', 'datadiet.js'), 'verify', URL],
      { env: { ...process.env, AWS_ENDPOINT_URL: endpoint }, timeout: 60_000 },
    );
    expect(stdout).toMatch(/^verify: OK: s3:\/\/datadiet\/runs\/tiny: 2 shards/m);

    const before = await getObject('runs/tiny/manifest.json');
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'runs/tiny/manifest.json' }));
    const m = await run(['manifest', URL, '--s3-endpoint', endpoint]);
    expect(m.code).toBe(0);
    expect((await getObject('runs/tiny/manifest.json')).equals(before)).toBe(true);
  });

  it('verify catches a flipped byte in a shard object', async () => {
    const key = 'runs/tiny/shards/shard-000000.tar';
    const original = await getObject(key);
    const bad = Buffer.from(original);
    bad[bad.length - 2048] = bad[bad.length - 2048]! ^ 0xff; // inside the last member's data
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bad }));
    try {
      const report = await verifyDataset(URL, { s3: { endpoint } });
      // The byte lands in a parts array, so its value checks may fire too; the checksum must.
      expect(report.problems.map((p) => p.code)).toContain('SHARD_SHA256');
    } finally {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: original }));
    }
  });

  it('publish uploads a large shard in parts, completed as one whole object', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'datadiet-big-'));
    const path = join(dir, 'big.tar');
    const data = Buffer.alloc(17 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data[i] = i % 251;
    await writeFile(path, data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const store = new S3Storage(`s3://${BUCKET}/big`, { endpoint });
    await store.publish(path, 'shards/big.tar', { sha256 });
    expect(existsSync(path)).toBe(false); // the staging file is gone once uploaded
    const head = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'big/shards/big.tar' }),
    );
    expect(head.ContentLength).toBe(data.length);
    // s3rver logs each part it stores: two went up, then one completion made the object.
    expect(serverLog.match(/Stored part \d+ of /g)).toHaveLength(2);
    expect(await store.matches('shards/big.tar', { bytes: data.length, sha256 })).toBe(true);
    const hash = createHash('sha256');
    for await (const c of (await store.openRead('shards/big.tar')).stream) hash.update(c as Buffer);
    expect(hash.digest('hex')).toBe(sha256);
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing bucket or a dead endpoint is one STORAGE_FAILED line, before any rendering', async () => {
    const r = await run(['generate', '--out', 's3://no-such-bucket/x', '--s3-endpoint', endpoint]);
    expect(r.code).toBe(3);
    expect(r.err).toEqual([
      expect.stringMatching(
        /^error\[STORAGE_FAILED\]: cannot write .* s3:\/\/no-such-bucket\/x: NoSuchBucket: .*\(fix: create the bucket 'no-such-bucket' first\)$/,
      ),
    ]);
    const dead = await run(['verify', 's3://datadiet/x', '--s3-endpoint', 'http://127.0.0.1:9']);
    expect(dead.code).toBe(3);
    expect(dead.err).toEqual([
      expect.stringMatching(
        /^error\[STORAGE_FAILED\]: .*\(fix: is the S3 server at http:\/\/127\.0\.0\.1:9 running/,
      ),
    ]);
  });
});
