import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot, tempDir } from '../core/index.ts';
import {
  MAX_WASM_THREADS,
  threadedBuildFiles,
  threadedBuildPresent,
  wasmThreads,
} from './wasm-threads.ts';

const run = async (threads: number) => {
  const root = projectRoot();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(root, 'bin', 'run-ts.js'), join(root, 'training', 'wasm-threads.fixture.ts')],
    // A process that does not end on its own (a worker holding it) fails by timeout.
    { env: { ...process.env, DATADIET_WASM_THREADS: String(threads) }, timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    reason: string;
    before: number;
    after: number;
  };
};

describe('tfjs-wasm threads in Node', () => {
  it('DATADIET_WASM_THREADS: default one per core (at most 8); bad values are usage errors', () => {
    expect(wasmThreads({})).toBe(Math.min(MAX_WASM_THREADS, availableParallelism()));
    expect(wasmThreads({ DATADIET_WASM_THREADS: '3' })).toBe(3);
    for (const bad of ['0', '9', '1.5', 'two'])
      expect(() => wasmThreads({ DATADIET_WASM_THREADS: bad })).toThrow(/DATADIET_WASM_THREADS/);
  });

  it("checks for the threaded build's files before using them", async () => {
    expect(threadedBuildPresent()).toBe(true); // the installed tfjs-backend-wasm
    const dir = await tempDir('wasm-out');
    expect(threadedBuildPresent(threadedBuildFiles(dir))).toBe(false);
    await writeFile(join(dir, 'tfjs-backend-wasm-threaded-simd.js'), 'module.exports = () => {};');
    await writeFile(join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js'), 'module.exports = {};');
    expect(threadedBuildPresent(threadedBuildFiles(dir))).toBe(false); // a layout this shim does not know
  });

  it('2 threads start, train to the same numbers as 1, and let the process exit', async () => {
    const [one, two] = [await run(1), await run(2)];
    expect(one.reason).toMatch(/1 XNNPACK thread\b/);
    expect(two.reason).toMatch(/2 XNNPACK threads/);
    expect(two.after).toBeLessThan(two.before); // a real gradient step
    expect(two.before).toBeCloseTo(one.before, 6);
    expect(two.after).toBeCloseTo(one.after, 6);
  }, 150_000);
});
