/**
 * Writes one WebDataset tar shard. The shard goes to `<path>.tmp-<pid>` and is renamed into place
 * only when complete and fsynced, so a killed run never leaves a torn shard under the real name.
 * Headers carry no time, owner or host details, so the same samples give byte-identical tars
 * (and the same sha256) on any machine.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type WriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Pack } from 'tar-stream';

export interface ShardMember {
  /** Member name after the key, e.g. 'json' or 'left.rgb.npy'. */
  name: string;
  /** The bytes, possibly in pieces (e.g. an .npy header then one chunk per frame). */
  data: Buffer | Buffer[];
}

export interface ShardFileRecord {
  /** Basename of the shard, e.g. 'shard-000000.tar'. */
  file: string;
  samples: number;
  bytes: number;
  sha256: string;
}

// ustar's 12-byte octal size field; beyond this tar-stream would need a pax size record.
const MAX_MEMBER_BYTES = 8 * 1024 ** 3 - 1;

export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

type Sink = ReturnType<Pack['entry']>;

/** Resolves on 'drain'; rejects if the stream dies first, so a failed pipeline never hangs us. */
function drained(stream: Sink): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = () => done();
    const onError = (e: Error) => done(e);
    const onClose = () => done(new Error('tar entry closed before draining'));
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

export class ShardWriter {
  readonly path: string;
  readonly tempPath: string;
  private readonly pack: Pack;
  private readonly done: Promise<void>;
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private samples = 0;
  private readonly keys = new Set<string>();
  private failure: unknown = undefined;
  private state: 'open' | 'finished' | 'aborted' = 'open';
  private busy = false;
  private readonly file: WriteStream;

  private constructor(path: string, file: FileHandle) {
    this.path = path;
    this.tempPath = tempPathFor(path);
    this.pack = tarPack();
    // Hash and count on the way to disk so finish() never re-reads the shard.
    this.file = file.createWriteStream();
    this.done = pipeline(this.counted(), this.file);
    // Remember the failure for the next call; avoids an unhandled rejection meanwhile.
    this.done.catch((e: unknown) => {
      this.failure ??= e;
    });
  }

  private async *counted(): AsyncGenerator<Buffer> {
    for await (const data of this.pack) {
      const chunk = data as Buffer;
      this.hash.update(chunk);
      this.bytes += chunk.length;
      yield chunk;
    }
  }

  static async open({ path }: { path: string }): Promise<ShardWriter> {
    await mkdir(dirname(path), { recursive: true });
    // Opened here so an unwritable directory fails now, not at the first sample.
    return new ShardWriter(path, await open(tempPathFor(path), 'w'));
  }

  /** Appends `<key>.<name>` members in the order given; resolves when the tar has taken them. */
  async addSample(key: string, members: ShardMember[]): Promise<void> {
    this.checkState();
    this.throwIfFailed();
    // WebDataset splits a member name at the first '.' of its basename: the key must have none.
    if (key === '' || /[./\\]/.test(key)) throw new Error(`shard: bad sample key '${key}'`);
    if (this.keys.has(key)) throw new Error(`shard: duplicate sample key '${key}'`);
    // A sample with no members leaves no trace in the tar; readers would miscount.
    if (members.length === 0) throw new Error(`shard: sample '${key}' has no members`);
    const seen = new Set<string>();
    for (const m of members) {
      if (m.name === '' || /[/\\]/.test(m.name) || m.name.startsWith('.') || seen.has(m.name)) {
        throw new Error(`shard: bad or repeated member name '${m.name}' in sample '${key}'`);
      }
      seen.add(m.name);
    }
    this.keys.add(key);
    // Members of two samples must not interleave in the tar; callers await each addSample.
    this.busy = true;
    try {
      for (const m of members) await this.addMember(`${key}.${m.name}`, m.data);
    } finally {
      this.busy = false;
    }
    this.samples++;
  }

  private async addMember(name: string, data: Buffer | Buffer[]): Promise<void> {
    const chunks = Array.isArray(data) ? data : [data];
    let size = 0;
    for (const c of chunks) size += c.length;
    if (size > MAX_MEMBER_BYTES) throw new Error(`shard: member '${name}' exceeds 8 GiB`);

    let settle!: (err?: Error | null) => void;
    const entryDone = new Promise<void>((res, rej) => {
      settle = (err) => (err ? rej(err) : res());
    });
    entryDone.catch(() => {}); // awaited below; this only silences an early rejection
    const entry = this.pack.entry(
      {
        name,
        size,
        mode: 0o644,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
        mtime: new Date(0),
        type: 'file',
      },
      settle,
    );
    try {
      for (const c of chunks) {
        if (c.length === 0) continue;
        if (!entry.write(c)) await Promise.race([drained(entry), entryDone]);
        this.throwIfFailed();
      }
      entry.end(undefined); // streamx's end(data) types its argument as required
      await entryDone;
    } catch (e) {
      // A dead entry is a symptom ('tar entry destroyed'); report the cause, e.g. ENOSPC.
      await Promise.race([this.done.catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
      throw this.failure ?? e;
    }
    this.throwIfFailed();
  }

  /** Ends the tar, fsyncs it, renames it into place and fsyncs the directory. */
  async finish(): Promise<ShardFileRecord> {
    this.checkState();
    this.state = 'finished';
    try {
      this.throwIfFailed();
      this.pack.finalize();
      await this.done;
      // The stream has closed its descriptor; fsync through a new one (same inode, same effect).
      const fh = await open(this.tempPath, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(this.tempPath, this.path);
    } catch (e) {
      await this.discard(e);
      throw e;
    }
    await fsyncDir(dirname(this.path));
    return {
      file: basename(this.path),
      samples: this.samples,
      bytes: this.bytes,
      sha256: this.hash.digest('hex'),
    };
  }

  /** Drops the shard: stops the tar stream and removes the temporary file. Safe to call twice. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.discard(new Error('shard aborted'));
  }

  private async discard(reason: unknown): Promise<void> {
    this.pack.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    await this.done.catch(() => {});
    // Remove the file only once the stream has let go of it.
    if (!this.file.closed) await new Promise<void>((res) => this.file.once('close', () => res()));
    await rm(this.tempPath, { force: true });
  }

  private checkState(): void {
    if (this.state !== 'open') throw new Error(`shard: writer for ${this.path} is ${this.state}`);
    if (this.busy) throw new Error('shard: await addSample() before the next call');
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

/** Makes a rename durable. Some platforms (Windows) cannot open a directory: nothing to do there. */
async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR') throw e;
  } finally {
    await fh.close();
  }
}

/** sha256 and size of a file, streamed (shards can be larger than memory). */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Whether a finished shard on disk matches its record, so a rerun can skip it. Checks the size
 * first (cheap) and hashes only when it matches; a missing file is simply not complete.
 */
export async function shardFileMatches(
  path: string,
  expected: { sha256: string; bytes: number },
): Promise<boolean> {
  try {
    if ((await stat(path)).size !== expected.bytes) return false;
    return (await sha256File(path)).sha256 === expected.sha256;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
