/** A dataset in a local (or mounted shared) directory; atomic by temp file + fsync + rename. */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DatadietError } from '../../core/index.ts';
import { SHARDS_DIR, readJson, stableJson, uniqueSuffix, writeFileAtomic } from '../manifest.ts';
import { shardFileMatches } from '../tar-shard.ts';
import type { DatasetStorage } from './types.ts';
import { writeError } from './write-error.ts';

const isMissing = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** Opens a local file for streaming; DATASET_NOT_FOUND when it is not there. */
export async function openLocalFile(path: string) {
  try {
    const { size } = await stat(path);
    return { stream: createReadStream(path), size };
  } catch (e) {
    if (isMissing(e)) {
      throw new DatadietError('DATASET_NOT_FOUND', `${path} does not exist`, {
        hint: 'rerun `datadiet generate` with the same arguments to write what is missing',
        cause: e,
      });
    }
    throw e;
  }
}

export class LocalStorage implements DatasetStorage {
  readonly stagingDir: string;

  constructor(readonly location: string) {
    this.stagingDir = join(location, SHARDS_DIR);
  }

  url(name: string): string {
    return join(this.location, name);
  }

  async prepare(): Promise<void> {
    try {
      await mkdir(this.stagingDir, { recursive: true });
      const probe = join(this.stagingDir, `.write-test-${uniqueSuffix()}`);
      await writeFile(probe, '');
      await rm(probe);
    } catch (e) {
      throw new DatadietError(
        'OUT_DIR_UNWRITABLE',
        `cannot write to ${this.location}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        { hint: 'choose another --out or fix its permissions', cause: e },
      );
    }
  }

  async readJson<T>(name: string): Promise<T | null> {
    try {
      return await readJson<T>(this.url(name));
    } catch (e) {
      if (e instanceof DatadietError && e.code === 'DATASET_NOT_FOUND') return null;
      throw e;
    }
  }

  async writeFile(name: string, data: Buffer | string): Promise<void> {
    const path = this.url(name);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, data);
    } catch (e) {
      throw writeError(e, path);
    }
  }

  writeJson(name: string, value: unknown): Promise<void> {
    return this.writeFile(name, stableJson(value));
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await readdir(this.url(dir));
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
  }

  async size(name: string): Promise<number | null> {
    try {
      return (await stat(this.url(name))).size;
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  matches(name: string, expected: { bytes: number; sha256: string }): Promise<boolean> {
    return shardFileMatches(this.url(name), expected);
  }

  openRead(name: string) {
    return openLocalFile(this.url(name));
  }

  async publish(localPath: string, name: string): Promise<void> {
    const dest = this.url(name);
    if (resolve(localPath) === resolve(dest)) return; // written in place (the shard writer renamed it)
    try {
      await mkdir(dirname(dest), { recursive: true });
      await rename(localPath, dest);
    } catch (e) {
      throw writeError(e, dest);
    }
  }

  async remove(name: string): Promise<void> {
    await rm(this.url(name), { force: true });
  }
}
