/**
 * `datadiet doctor`: what this machine can do. For each `--gl`, the browser's WebGL renderer and a
 * few seconds of render-only throughput; for each training backend, whether it starts and its
 * images/s on a small encoder (each in a child process: Dawn's Vulkan environment must be set
 * before it loads); the CUDA/cuDNN libraries tfjs-node-gpu needs; the Python peers of the bench.
 * Every unusable item carries the exact fix.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isDatadietError } from '../core/errors.ts';
import { projectRoot } from '../core/paths.ts';
import { findPython } from '../core/python.ts';
import { findBrowser, probeRenderer } from '../generator/browser.ts';
import { FrameServer } from '../generator/frame-server.ts';
import { describeRenderer, glMismatch, honours, type ConcreteGl } from '../generator/gl.ts';
import { RenderWorker } from '../generator/render-worker.ts';
import { parseSpec } from '../scenes/load-spec.ts';
import { sampleScene } from '../scenes/sampler.ts';
import { SOFTWARE_GPU_ENV, SWIFTSHADER_VULKAN_ENV } from '../training/backend.ts';

export interface DoctorItem {
  area: 'render' | 'train' | 'python';
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when it is not usable. */
  fix?: string;
  /** Measured throughput (render: stereo pairs/s at 64²; train: images/s at 32²). */
  rate?: { value: number; unit: string };
}

export interface DoctorReport {
  items: DoctorItem[];
  /** Whether any `--gl` choice renders (doctor exits non-zero when none does). */
  canRender: boolean;
}

export interface DoctorOptions {
  browser?: string | undefined;
  /** Seconds of throughput measurement per usable item (0: only check that each starts). */
  seconds: number;
  /** Only these areas (default: all). */
  only?: DoctorItem['area'][] | undefined;
  /** Called with each item as soon as it is known. */
  onItem?: (item: DoctorItem) => void;
}

/** Render-only stereo pairs/s at 64², 8 frames, default layers, after one warm-up sequence. */
async function renderRate(browser: string, gl: ConcreteGl, seconds: number): Promise<number> {
  const spec = parseSpec({ width: 64, height: 64, frames: 8, sequences: 1000, seed: 1 });
  const server = await FrameServer.start();
  const worker = new RenderWorker(server, browser, 120_000, { gl });
  try {
    await worker.open();
    await worker.render(sampleScene(spec, 999), spec.layers, false);
    let frames = 0;
    const t0 = performance.now();
    for (let i = 0; performance.now() - t0 < seconds * 1000 || i < 1; i++) {
      await worker.render(sampleScene(spec, i), spec.layers, false);
      frames += spec.frames;
    }
    return frames / ((performance.now() - t0) / 1000);
  } finally {
    await worker.close();
    await server.close();
  }
}

async function renderItems(opts: DoctorOptions, add: (i: DoctorItem) => void) {
  let browser: string;
  try {
    browser = findBrowser(opts.browser);
  } catch (e) {
    const err = e as { message: string; hint?: string };
    add({ area: 'render', name: 'browser', ok: false, detail: err.message, fix: err.hint ?? '' });
    return;
  }
  const version = spawnSync(browser, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  add({
    area: 'render',
    name: 'browser',
    ok: true,
    detail: `${browser} (${(version.stdout ?? '').trim() || 'version unknown'})`,
  });
  for (const gl of ['swiftshader', 'egl', 'vulkan'] as const) {
    let got: string | null;
    try {
      got = await probeRenderer(browser, gl);
    } catch (e) {
      add({ area: 'render', name: `--gl ${gl}`, ok: false, detail: (e as Error).message, fix: '' });
      continue;
    }
    const info = got === null ? null : describeRenderer(got);
    if (info === null || !honours(gl, info)) {
      const err = glMismatch(gl, got);
      add({
        area: 'render',
        name: `--gl ${gl}`,
        ok: false,
        detail: err.message,
        fix: err.hint ?? '',
      });
      continue;
    }
    const item: DoctorItem = {
      area: 'render',
      name: `--gl ${gl}`,
      ok: true,
      detail: `${got} (${info.device === 'hardware' ? 'hardware' : `software: ${info.device}`})`,
    };
    if (opts.seconds > 0) {
      try {
        item.rate = {
          value: +(await renderRate(browser, gl, opts.seconds)).toFixed(1),
          unit: 'stereo pairs/s render-only at 64²',
        };
      } catch (e) {
        item.ok = false;
        item.detail += `; rendering failed: ${(e as Error).message}`;
        item.fix = isDatadietError(e) ? (e.hint ?? '') : 'rerun with --gl swiftshader';
      }
    }
    add(item);
  }
}

/** Shared libraries the dynamic loader knows (ldconfig's cache). */
function sharedLibraries(): string {
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout;
  return spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }).stdout ?? '';
}

/** tfjs-node-gpu 4.x links libtensorflow 2.9: CUDA 11.x and cuDNN 8 (tfjs#8362, #8505). */
export function cudaNeeds(libs: string): { ok: boolean; detail: string; fix?: string } {
  const has = (re: RegExp) => re.test(libs);
  const missing = [
    has(/libcuda\.so\.1\b/) ? null : 'the NVIDIA driver (libcuda.so.1)',
    has(/libcudart\.so\.11(\.\d+)*\b/) ? null : 'CUDA 11.x runtime (libcudart.so.11.0)',
    has(/libcudnn\.so\.8\b/) ? null : 'cuDNN 8 (libcudnn.so.8)',
  ].filter((m): m is string => m !== null);
  if (missing.length === 0)
    return { ok: true, detail: 'driver, CUDA 11 runtime and cuDNN 8 found' };
  const newer = has(/libcudart\.so\.12\b/)
    ? '; CUDA 12 is present, but tfjs-node-gpu does not load it'
    : '';
  return {
    ok: false,
    detail: `tfjs-node-gpu needs ${missing.join(', ')}, not found${newer}`,
    fix: 'use the container deploy/Dockerfile.tfjs-gpu (CUDA 11.8 + cuDNN 8 runtime), or install CUDA 11.8 and cuDNN 8 beside the driver',
  };
}

interface ProbeResult {
  ok: boolean;
  name?: string;
  reason?: string;
  images_per_s?: number | null;
  error?: string;
  hint?: string | null;
}

async function probeBackend(
  backend: string,
  seconds: number,
  env: Record<string, string> = {},
): Promise<ProbeResult> {
  const root = projectRoot();
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(root, 'bin', 'run-ts.js'),
        join(root, 'doctor', 'backend-probe.ts'),
        backend,
        String(seconds),
      ],
      { env: { ...process.env, ...env }, timeout: 120_000 + seconds * 1000 },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ProbeResult;
  } catch (e) {
    return { ok: false, error: `the probe process failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

async function trainItems(opts: DoctorOptions, add: (i: DoctorItem) => void) {
  const rate = (r: ProbeResult) =>
    r.images_per_s
      ? {
          rate: {
            value: r.images_per_s,
            unit: 'images/s (Adam steps, default encoder, 32², batch 8)',
          },
        }
      : {};
  const tensorflow = await probeBackend('tensorflow', opts.seconds);
  const cuda = cudaNeeds(sharedLibraries());
  if (tensorflow.ok) {
    add({
      area: 'train',
      name: 'tensorflow',
      ok: true,
      detail: `${tensorflow.reason}; ${cuda.detail}`,
      ...rate(tensorflow),
    });
  } else {
    add({
      area: 'train',
      name: 'tensorflow',
      ok: false,
      detail: `${tensorflow.error}${cuda.ok ? `; ${cuda.detail}` : `; ${cuda.detail}`}`,
      fix: cuda.ok
        ? 'npm install @tensorflow/tfjs-node-gpu (its install script downloads libtensorflow: needs network)'
        : `${cuda.fix}; then npm install @tensorflow/tfjs-node-gpu`,
    });
  }
  const gpu = await probeBackend('webgpu', opts.seconds);
  if (gpu.ok) {
    add({ area: 'train', name: 'webgpu', ok: true, detail: gpu.reason ?? '', ...rate(gpu) });
  } else {
    add({ area: 'train', name: 'webgpu', ok: false, detail: gpu.error ?? '', fix: gpu.hint ?? '' });
    // The same kernels on the software Vulkan device: proves the webgpu path, not a speed.
    if (existsSync(SWIFTSHADER_VULKAN_ENV.VK_ICD_FILENAMES)) {
      const soft = await probeBackend('webgpu', Math.min(opts.seconds, 1), {
        ...SWIFTSHADER_VULKAN_ENV,
        [SOFTWARE_GPU_ENV]: '1',
      });
      add({
        area: 'train',
        name: 'webgpu (software, testing only)',
        ok: soft.ok,
        detail: soft.ok ? (soft.reason ?? '') : (soft.error ?? ''),
        ...(soft.ok ? rate(soft) : { fix: soft.hint ?? '' }),
      });
    }
  }
  const wasm = await probeBackend('wasm', opts.seconds);
  add({
    area: 'train',
    name: 'wasm',
    ok: wasm.ok,
    detail: wasm.ok ? (wasm.reason ?? '') : (wasm.error ?? ''),
    ...(wasm.ok ? rate(wasm) : { fix: wasm.hint ?? 'reinstall: npm ci' }),
  });
}

function pythonItems(add: (i: DoctorItem) => void) {
  const peers: { name: string; modules: string[]; use: string }[] = [
    { name: 'NumPy', modules: ['numpy'], use: 'reference checks in tests' },
    { name: 'PyTorch', modules: ['torch'], use: 'the training bench peer (bench/train-bench.ts)' },
    { name: 'ONNX', modules: ['onnx'], use: 'ONNX baselines in tests' },
  ];
  for (const p of peers) {
    const found = findPython(p.modules);
    if (found.python === null) {
      add({
        area: 'python',
        name: p.name,
        ok: false,
        detail: `for ${p.use}: ${found.reason}`,
        fix: 'bash scripts/setup-peers.sh',
      });
      continue;
    }
    let detail = `${found.python} (${p.use})`;
    if (p.name === 'PyTorch') {
      const r = spawnSync(
        found.python,
        ['-c', 'import torch; print(torch.__version__, torch.cuda.is_available())'],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      const [version, cuda] = (r.stdout ?? '').trim().split(' ');
      detail = `${found.python}: torch ${version ?? '?'}, CUDA ${cuda === 'True' ? 'available' : 'not available'} (${p.use})`;
    }
    add({ area: 'python', name: p.name, ok: true, detail });
  }
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const items: DoctorItem[] = [];
  const add = (i: DoctorItem) => {
    items.push(i);
    opts.onItem?.(i);
  };
  const want = (a: DoctorItem['area']) => opts.only === undefined || opts.only.includes(a);
  if (want('render')) await renderItems(opts, add);
  if (want('train')) await trainItems(opts, add);
  if (want('python')) pythonItems(add);
  return {
    items,
    canRender:
      !want('render') ||
      items.some((i) => i.area === 'render' && i.name.startsWith('--gl') && i.ok),
  };
}
