/**
 * Training backends. `auto` tries, in order: tfjs-node-gpu, tfjs-node (only when the user has
 * installed one: they download libtensorflow at install time), webgpu on a hardware adapter, wasm.
 * The choice and the reason are returned for the CLI to print.
 */
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../core/index.ts';
import { registerResizeGradient } from './resize-gradient.ts';
import { registerGradientKernels } from './wasm-kernels.ts';
import { registerWebgpuKernels } from './webgpu-kernels.ts';
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

/** The opt-in that lets `--backend webgpu` take a software adapter (CI, doctor, kernel tests). */
export const SOFTWARE_GPU_ENV = 'DATADIET_ALLOW_SOFTWARE_GPU';

/** Debian's Chromium ships a SwiftShader Vulkan driver Dawn can use (PROBES.md). */
export const SWIFTSHADER_VULKAN_ENV = {
  VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json',
  LD_LIBRARY_PATH: '/usr/lib/chromium',
} as const;

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|cpu/i;

export function softwareGpuAllowed(): boolean {
  return /^(1|true|yes)$/i.test(process.env[SOFTWARE_GPU_ENV] ?? '');
}

/** Dawn's adapter once found: Dawn is loaded once per process, and so is its adapter choice. */
let webgpuAdapter: { info: string; software: boolean } | null = null;

async function tryWebgpu(allowSoftware: boolean): Promise<{ ok: boolean; detail: string }> {
  if (webgpuAdapter && tf.findBackend('webgpu')) {
    if (webgpuAdapter.software && !allowSoftware) {
      return { ok: false, detail: `only a software adapter (${webgpuAdapter.info})` };
    }
    if (await activate('webgpu')) return { ok: true, detail: adapterDetail(webgpuAdapter) };
    return { ok: false, detail: 'the tfjs webgpu backend did not start' };
  }
  let adapterInfo = '';
  let soft = false;
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
    adapterInfo = adapterInfo.replace(/\s+/g, ' ').trim();
    // A software adapter (SwiftShader, llvmpipe) is slower than wasm: only on explicit opt-in,
    // which exists so that CI runs the webgpu kernels on CPU.
    soft =
      adapter.isFallbackAdapter === true ||
      SOFTWARE_ADAPTER.test(`${adapterInfo} ${info?.type ?? ''}`);
    if (soft && !allowSoftware) {
      return {
        ok: false,
        detail: `only a software adapter (${adapterInfo}); set ${SOFTWARE_GPU_ENV}=1 to use it anyway`,
      };
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
  webgpuAdapter = { info: adapterInfo, software: soft };
  if (await activate('webgpu')) return { ok: true, detail: adapterDetail(webgpuAdapter) };
  return { ok: false, detail: 'the tfjs webgpu backend did not start' };
}

function adapterDetail(a: { info: string; software: boolean }): string {
  return a.software
    ? `software adapter ${a.info} (${SOFTWARE_GPU_ENV}=1; slower than wasm, for testing)`
    : `hardware adapter ${a.info}`;
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

export interface SelectBackendOptions {
  /** Let `webgpu` (never `auto`) take a software adapter; default: $DATADIET_ALLOW_SOFTWARE_GPU. */
  allowSoftwareGpu?: boolean;
}

/** Activates a backend; BACKEND_UNKNOWN / BACKEND_UNAVAILABLE when that is impossible. */
export async function selectBackend(
  requested: string,
  opts: SelectBackendOptions = {},
): Promise<BackendChoice> {
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
    const r = await tryWebgpu(opts.allowSoftwareGpu ?? softwareGpuAllowed());
    if (!r.ok)
      throw unavailable(
        r.detail,
        `run on a machine with a GPU and its Vulkan driver (Debian: libvulkan1), or pass --backend wasm; to test on CPU: ${SOFTWARE_GPU_ENV}=1 VK_ICD_FILENAMES=${SWIFTSHADER_VULKAN_ENV.VK_ICD_FILENAMES} LD_LIBRARY_PATH=${SWIFTSHADER_VULKAN_ENV.LD_LIBRARY_PATH}`,
      );
    return { name: 'webgpu', reason: r.detail, addedKernels: registerWebgpuKernels() };
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
  const g = await tryWebgpu(false);
  if (g.ok) {
    return { name: 'webgpu', reason: `auto: ${g.detail}`, addedKernels: registerWebgpuKernels() };
  }
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
