/**
 * tfjs-wasm's multi-threaded build in Node. Upstream leaves it off there
 * (`WASM_HAS_MULTITHREAD_SUPPORT` is false under Node, tensorflow/tfjs#3830), although
 * Emscripten's worker script supports Node: tfjs hands it to `new Worker` as a blob: URL, which
 * Node rejects, and sizes XNNPACK's pool as os.cpus()/2 (it assumes two hyper-threads per core).
 * For the backend's start only, blob: workers run `wasm-thread-worker.cjs` instead and os.cpus()
 * reports twice the wanted thread count; afterwards the pool's workers are unref'd, so they do not
 * keep the process alive.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../core/index.ts';

const require = createRequire(import.meta.url);
const SHIM = fileURLToPath(new URL('./wasm-thread-worker.cjs', import.meta.url));
/** tfjs-wasm pre-creates 8 workers and never uses more. */
export const MAX_WASM_THREADS = 8;

/** XNNPACK threads: $DATADIET_WASM_THREADS, else one per core up to tfjs's 8. */
export function wasmThreads(env = process.env): number {
  const raw = env.DATADIET_WASM_THREADS;
  if (raw === undefined || raw === '') return Math.min(MAX_WASM_THREADS, availableParallelism());
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS)
    throw new DatadietError(
      'CLI_USAGE',
      `DATADIET_WASM_THREADS=${raw}: expected a whole number from 1 to ${MAX_WASM_THREADS}`,
      { hint: 'unset it to use one thread per core, or set 1 for single-threaded wasm' },
    );
  return n;
}

/** The threaded build's worker source and module factory, which wasm-thread-worker.cjs loads. */
export function threadedBuildFiles(
  dir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out'),
) {
  return {
    worker: join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js'),
    factory: join(dir, 'tfjs-backend-wasm-threaded-simd.js'),
  };
}

/**
 * Whether those files are there, in the form the shim expects. A worker that fails to load
 * crashes the process (Emscripten rethrows worker errors), so a tfjs without them stays on one
 * thread instead of trying.
 */
export function threadedBuildPresent(files = threadedBuildFiles()): boolean {
  if (!existsSync(files.worker) || !existsSync(files.factory)) return false;
  const mod = require(files.worker) as { wasmWorkerContents?: unknown };
  return typeof mod.wasmWorkerContents === 'string';
}

type WorkerCtor = new (file: string | URL, opts?: object) => { unref(): void };

/**
 * Makes the next first start of the 'wasm' backend use the threaded build with `threads`
 * threads. Returns `finish`, to call once the start has settled: it undoes the patches.
 */
export function prepareThreadedWasm(threads: number): () => void {
  const wt = require('node:worker_threads') as { Worker: WorkerCtor };
  const os = require('node:os') as { cpus: () => unknown[] };
  const [Worker, cpus] = [wt.Worker, os.cpus];
  const files = threadedBuildFiles();
  wt.Worker = class extends Worker {
    constructor(file: string | URL, opts?: object) {
      if (String(file).startsWith('blob:')) super(SHIM, { ...opts, workerData: files });
      else super(file, opts);
    }
  };
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  return () => {
    wt.Worker = Worker;
    os.cpus = cpus;
  };
}

/** Lets the process exit while the pool's workers wait for work. */
export function unrefWasmWorkers(backend: unknown): void {
  type Pool = { unusedWorkers?: { unref(): void }[]; runningWorkers?: { unref(): void }[] };
  const pool = (backend as { wasm?: { PThread?: Pool } }).wasm?.PThread;
  for (const w of [...(pool?.unusedWorkers ?? []), ...(pool?.runningWorkers ?? [])]) w.unref();
}
