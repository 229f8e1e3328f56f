/**
 * Training backends. `auto` tries, in order: tfjs-node-gpu, tfjs-node (only when the user has
 * installed one: they download libtensorflow at install time), webgpu on a hardware adapter, wasm.
 * The choice and the reason are returned for the CLI to print.
 */
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../core/errors.ts';
import { registerResizeGradient } from './resize-gradient.ts';
import { registerGradientKernels } from './wasm-kernels.ts';
import {
  prepareThreadedWasm,
  threadedBuildPresent,
  unrefWasmWorkers,
  wasmThreads,
} from './wasm-threads.ts';

export const BACKEND_NAMES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendChoice {
  /** The tfjs backend now active ('tensorflow', 'webgpu', 'wasm', 'cpu'). */
  name: string;
  /** Why it was chosen, for a person. */
  reason: string;
  /** Gradient kernels datadiet registered because the backend lacks them. */
  addedKernels: string[];
}

const GPU_HINT =
  'on a CUDA machine run `npm install @tensorflow/tfjs-node-gpu` (or `@tensorflow/tfjs-node` for native CPU), or pass --backend wasm';

// Dynamic specifiers so TypeScript and bundlers do not require the optional packages.
async function tryImport(specifier: string): Promise<unknown> {
  const name = specifier;
  return import(name);
}

async function activate(name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function tryTensorflow(): Promise<{ ok: boolean; detail: string }> {
  const tried: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await tryImport(pkg);
    } catch (e) {
      tried.push(`${pkg}: ${(e as Error).message.split('\n')[0] ?? ''}`);
      continue;
    }
    if (await activate('tensorflow')) return { ok: true, detail: `${pkg} loaded` };
    tried.push(`${pkg}: loaded but the 'tensorflow' backend did not start`);
  }
  return { ok: false, detail: tried.join('; ') };
}

async function tryWebgpu(): Promise<{ ok: boolean; detail: string }> {
  let adapterInfo = '';
  try {
    type Info = { vendor?: string; architecture?: string; description?: string; type?: string };
    type Adapter = { info?: Info; isFallbackAdapter?: boolean };
    type Gpu = { requestAdapter(o: object): Promise<Adapter | null> };
    const dawn = (await tryImport('webgpu')) as {
      create: (opts: string[]) => Gpu;
      globals: Record<string, unknown>;
    };
    const gpu = dawn.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null) return { ok: false, detail: 'Dawn found no adapter' };
    const info = adapter.info;
    adapterInfo = `${info?.vendor ?? '?'} ${info?.architecture ?? ''} ${info?.description ?? ''}`;
    // A software adapter (SwiftShader, llvmpipe) is slower than wasm: hardware only.
    const soft = /swiftshader|llvmpipe|lavapipe|software|cpu/i.test(
      `${adapterInfo} ${info?.type ?? ''}`,
    );
    if (adapter.isFallbackAdapter || soft) {
      return { ok: false, detail: `only a software adapter (${adapterInfo.trim()})` };
    }
    Object.assign(globalThis, dawn.globals);
    Object.defineProperty(globalThis, 'navigator', {
      value: { ...(globalThis.navigator ?? {}), gpu },
      configurable: true,
    });
    await tryImport('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    return {
      ok: false,
      detail: `webgpu unavailable: ${(e as Error).message.split('\n')[0] ?? ''}`,
    };
  }
  if (await activate('webgpu'))
    return { ok: true, detail: `hardware adapter ${adapterInfo.trim()}` };
  return { ok: false, detail: 'the tfjs webgpu backend did not start' };
}

/**
 * tfjs-wasm with XNNPACK threads (wasm-threads.ts; the count is fixed by the first start in a
 * process). A threaded start that fails falls back to the single-threaded build.
 */
async function useWasm(): Promise<BackendChoice | null> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Not tf.findBackend: it would start the backend (single-threaded) to answer.
  const started = 'wasm' in (tf.engine() as unknown as { registry: object }).registry;
  const wanted = started ? 1 : wasmThreads();
  const threads = wanted > 1 && threadedBuildPresent() ? wanted : 1;
  let note = threads < wanted ? `; tfjs-wasm's threaded build is missing, so 1 thread` : '';
  if (threads > 1) {
    wasm.setThreadsCount(threads);
    const finish = prepareThreadedWasm(threads);
    const ok = await activate('wasm').finally(finish);
    if (ok) unrefWasmWorkers(tf.backend());
    else {
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      note = `; the threaded build did not start, so 1 thread`;
    }
  }
  if (!(await activate('wasm'))) return null;
  const n = wasm.getThreadsCount();
  return {
    name: 'wasm',
    reason: `${n} XNNPACK thread${n === 1 ? '' : 's'}${note}`,
    addedKernels: registerGradientKernels('wasm'),
  };
}

/** Activates a backend; BACKEND_UNKNOWN / BACKEND_UNAVAILABLE when that is impossible. */
export async function selectBackend(requested: string): Promise<BackendChoice> {
  registerResizeGradient(); // tfjs's own ignores halfPixelCenters on every backend
  if (!(BACKEND_NAMES as readonly string[]).includes(requested)) {
    throw new DatadietError('BACKEND_UNKNOWN', `--backend: unknown backend "${requested}"`, {
      hint: `use one of ${BACKEND_NAMES.join(', ')}`,
    });
  }
  const name = requested as BackendName;
  const unavailable = (detail: string, hint: string) =>
    new DatadietError('BACKEND_UNAVAILABLE', `--backend ${name}: ${detail}`, { hint });

  if (name === 'tensorflow') {
    const r = await tryTensorflow();
    if (!r.ok) throw unavailable(r.detail, GPU_HINT);
    return { name: 'tensorflow', reason: r.detail, addedKernels: [] };
  }
  if (name === 'webgpu') {
    const r = await tryWebgpu();
    if (!r.ok)
      throw unavailable(
        r.detail,
        'install `webgpu` and run on a machine with a GPU, or pass --backend wasm',
      );
    return { name: 'webgpu', reason: r.detail, addedKernels: [] };
  }
  if (name === 'wasm') {
    const c = await useWasm();
    if (c === null) throw unavailable('the wasm module did not load', 'pass --backend cpu');
    return { ...c, reason: `requested; ${c.reason}` };
  }
  if (name === 'cpu') {
    if (!(await activate('cpu'))) throw unavailable('did not start', 'reinstall @tensorflow/tfjs');
    return { name: 'cpu', reason: 'requested (pure JS, ~100× slower than wasm)', addedKernels: [] };
  }
  // auto
  const skipped: string[] = [];
  const t = await tryTensorflow();
  if (t.ok) return { name: 'tensorflow', reason: `auto: ${t.detail}`, addedKernels: [] };
  skipped.push('tensorflow (no tfjs-node-gpu or tfjs-node installed)');
  const g = await tryWebgpu();
  if (g.ok) return { name: 'webgpu', reason: `auto: ${g.detail}`, addedKernels: [] };
  skipped.push(`webgpu (${g.detail})`);
  const w = await useWasm();
  if (w !== null) return { ...w, reason: `auto: skipped ${skipped.join(', ')}; ${w.reason}` };
  if (await activate('cpu')) {
    return {
      name: 'cpu',
      reason: `auto: wasm failed to load; skipped ${skipped.join(', ')}`,
      addedKernels: [],
    };
  }
  throw unavailable('no backend could start', GPU_HINT);
}
