/**
 * A dataset under an S3-compatible URL (AWS, MinIO, Ceph, R2, …). An object appears only when its
 * PutObject or multipart upload completes, so shards are atomic without temp names: shards are
 * written to a local staging file, uploaded whole, then their sidecar; the manifest comes last.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { DatadietError } from '../../core/index.ts';
import { stableJson } from '../manifest.ts';
import { parseS3Url } from './location.ts';
import type { DatasetStorage, S3Options } from './types.ts';

type Sdk = typeof import('@aws-sdk/client-s3');

// Loaded on first use: local datasets never pay for the SDK.
let sdkPromise: Promise<Sdk> | undefined;
const sdk = () => (sdkPromise ??= import('@aws-sdk/client-s3'));

const PART_SIZE = 16 * 1024 * 1024;

function resolveOptions(opts: S3Options) {
  const env = process.env;
  const endpoint = opts.endpoint ?? (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined);
  const pathStyleEnv = env.AWS_S3_FORCE_PATH_STYLE;
  return {
    endpoint,
    region: opts.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1'),
    forcePathStyle:
      opts.forcePathStyle ??
      (pathStyleEnv ? pathStyleEnv === 'true' || pathStyleEnv === '1' : endpoint !== undefined),
  };
}

const notFound = (e: unknown) => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404
  );
};

export class S3Storage implements DatasetStorage {
  readonly stagingDir: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly options: ReturnType<typeof resolveOptions>;
  private clientPromise: Promise<S3Client> | undefined;

  constructor(
    readonly location: string,
    opts: S3Options = {},
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(location));
    this.options = resolveOptions(opts);
    // Per dataset, not per process, so a rerun finds and removes its own stale temps.
    const id = createHash('sha256').update(location).digest('hex').slice(0, 16);
    this.stagingDir = join(tmpdir(), `datadiet-staging-${id}`);
  }

  private key(name: string): string {
    return this.prefix ? `${this.prefix}/${name}` : name;
  }

  url(name: string): string {
    return `s3://${this.bucket}/${this.key(name)}`;
  }

  private client(): Promise<S3Client> {
    return (this.clientPromise ??= sdk().then((m) => new m.S3Client(this.options)));
  }

  /** One clear error for a failed request: which object, what went wrong, what to try. */
  private failure(e: unknown, what: string): DatadietError {
    if (e instanceof DatadietError) return e;
    const err = e as { name?: string; code?: string; message?: string };
    const name = err.name ?? err.code ?? 'Error';
    const endpoint = this.options.endpoint ?? 'AWS S3';
    let hint = `check the URL, $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY and the endpoint (${endpoint}; set --s3-endpoint or $AWS_ENDPOINT_URL)`;
    if (name === 'NoSuchBucket') hint = `create the bucket '${this.bucket}' first`;
    else if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN/.test(`${err.code} ${err.message}`))
      hint = `is the S3 server at ${endpoint} running? set --s3-endpoint or $AWS_ENDPOINT_URL`;
    return new DatadietError(
      'STORAGE_FAILED',
      `${what} ${this.url('').replace(/\/$/, '')}: ${name}: ${(err.message ?? '').split('\n')[0]}`,
      { hint, cause: e },
    );
  }

  async prepare(): Promise<void> {
    await mkdir(this.stagingDir, { recursive: true });
    // Proves the bucket exists and we may write, before any rendering starts.
    const probe = `shards/.write-test-${process.pid}`;
    await this.writeFile(probe, '');
    await this.remove(probe);
  }

  async readJson<T>(name: string): Promise<T | null> {
    const m = await sdk();
    let text: string;
    try {
      const res = await (
        await this.client()
      ).send(new m.GetObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      text = (await res.Body?.transformToString('utf8')) ?? '';
    } catch (e) {
      if (notFound(e) && (e as { name?: string }).name !== 'NoSuchBucket') return null;
      throw this.failure(e, `cannot read ${name} from`);
    }
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new DatadietError('DATASET_CORRUPT', `${this.url(name)} is not valid JSON`, {
        hint: 'the object is damaged or was written by another tool; regenerate it',
        cause: e,
      });
    }
  }

  async writeFile(name: string, data: Buffer | string): Promise<void> {
    const m = await sdk();
    const body = Buffer.from(data);
    try {
      // A known length (even 0): the SDK then neither streams nor warns.
      await (
        await this.client()
      ).send(
        new m.PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(name),
          Body: body,
          ContentLength: body.length,
        }),
      );
    } catch (e) {
      throw this.failure(e, `cannot write ${name} to`);
    }
  }

  writeJson(name: string, value: unknown): Promise<void> {
    return this.writeFile(name, stableJson(value));
  }

  async list(dir: string): Promise<string[]> {
    const m = await sdk();
    const prefix = `${this.key(dir)}/`;
    const names: string[] = [];
    let token: string | undefined;
    try {
      do {
        const res = await (
          await this.client()
        ).send(
          new m.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            Delimiter: '/',
            ContinuationToken: token,
          }),
        );
        for (const o of res.Contents ?? []) if (o.Key) names.push(o.Key.slice(prefix.length));
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw this.failure(e, `cannot list ${dir} in`);
    }
    return names;
  }

  private async head(name: string) {
    const m = await sdk();
    try {
      return await (
        await this.client()
      ).send(new m.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
    } catch (e) {
      if (notFound(e)) return null;
      throw this.failure(e, `cannot look up ${name} in`);
    }
  }

  async size(name: string): Promise<number | null> {
    return (await this.head(name))?.ContentLength ?? null;
  }

  /** Size and the sha256 recorded at upload: re-hashing would download every shard on resume. */
  async matches(name: string, expected: { bytes: number; sha256: string }): Promise<boolean> {
    const h = await this.head(name);
    return h?.ContentLength === expected.bytes && h.Metadata?.sha256 === expected.sha256;
  }

  async openRead(name: string): Promise<{ stream: Readable; size: number }> {
    const m = await sdk();
    try {
      const res = await (
        await this.client()
      ).send(new m.GetObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      return { stream: res.Body as Readable, size: res.ContentLength ?? 0 };
    } catch (e) {
      if (notFound(e) && (e as { name?: string }).name !== 'NoSuchBucket') {
        throw new DatadietError('DATASET_NOT_FOUND', `${this.url(name)} does not exist`, {
          hint: 'rerun `datadiet generate` with the same arguments to write what is missing',
          cause: e,
        });
      }
      throw this.failure(e, `cannot read ${name} from`);
    }
  }

  async publish(localPath: string, name: string, opts: { sha256?: string } = {}): Promise<void> {
    const { Upload } = await import('@aws-sdk/lib-storage');
    try {
      // One PutObject for small files, a multipart upload (completed atomically) for large ones.
      await new Upload({
        client: await this.client(),
        params: {
          Bucket: this.bucket,
          Key: this.key(name),
          Body: createReadStream(localPath),
          ...(opts.sha256 ? { Metadata: { sha256: opts.sha256 } } : {}),
        },
        partSize: PART_SIZE,
        queueSize: 4,
      }).done();
    } catch (e) {
      throw this.failure(e, `cannot upload ${name} to`);
    }
    await rm(localPath, { force: true });
  }

  async remove(name: string): Promise<void> {
    const m = await sdk();
    try {
      await (
        await this.client()
      ).send(new m.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
    } catch (e) {
      throw this.failure(e, `cannot delete ${name} in`);
    }
  }
}
