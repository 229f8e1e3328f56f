/**
 * `datadiet doctor`: what this machine can do. For each `--gl`, the browser's WebGL renderer and a
 * few seconds of render-only throughput; for each training backend, whether it starts and its
 * images/s on a small encoder (each in a child process: Dawn's Vulkan environment must be set
 * before it loads); the CUDA/cuDNN libraries tfjs-node-gpu needs; the Python peers of the bench.
 * Every unusable item carries the exact fix. Checks (browser launches, child processes, Python
 * imports) all start at once; the throughput figures are then measured one at a time.
 */
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isDatadietError, projectRoot, findPythonAsync } from '../core/index.ts';
import {
  findBrowser,
  probeRenderer,
  FrameServer,
  describeRenderer,
  glMismatch,
  honours,
  type ConcreteGl,
  RenderWorker,
} from '../generator/index.ts';
import { parseSpec, sampleScene } from '../scenes/index.ts';
import { SOFTWARE_GPU_ENV, SWIFTSHADER_VULKAN_ENV } from '../training/index.ts';

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

/**
 * One item's work in two parts: `check` starts at once with every other item's (browser launches,
 * child processes, Python imports overlap), `finish` runs after every check has settled, one item
 * at a time, so each throughput figure is measured on an otherwise quiet machine.
 */
interface Step {
  check: Promise<unknown>;
  finish: () => Promise<DoctorItem[]>;
}

function renderSteps(opts: DoctorOptions): Step[] {
  let browser: string;
  try {
    browser = findBrowser(opts.browser);
  } catch (e) {
    const err = e as { message: string; hint?: string };
    const item = { area: 'render', name: 'browser', ok: false, detail: err.message } as const;
    return [{ check: Promise.resolve(), finish: async () => [{ ...item, fix: err.hint ?? '' }] }];
  }
  const version = promisify(execFile)(browser, ['--version'], { timeout: 30_000 }).then(
    (r) => r.stdout.trim(),
    () => '',
  );
  const steps: Step[] = [
    {
      check: version,
      finish: async () => [
        {
          area: 'render',
          name: 'browser',
          ok: true,
          detail: `${browser} (${(await version) || 'version unknown'})`,
        },
      ],
    },
  ];
  for (const gl of ['swiftshader', 'egl', 'vulkan'] as const) {
    const probe = probeRenderer(browser, gl).then(
      (got) => ({ got }),
      (e: unknown) => ({ error: (e as Error).message }),
    );
    steps.push({
      check: probe,
      finish: async () => [await renderItem(opts, browser, gl, await probe)],
    });
  }
  return steps;
}

async function renderItem(
  opts: DoctorOptions,
  browser: string,
  gl: ConcreteGl,
  probe: { got: string | null } | { error: string },
): Promise<DoctorItem> {
  const name = `--gl ${gl}`;
  if ('error' in probe) return { area: 'render', name, ok: false, detail: probe.error, fix: '' };
  const { got } = probe;
  const info = got === null ? null : describeRenderer(got);
  if (info === null || !honours(gl, info)) {
    const err = glMismatch(gl, got);
    return { area: 'render', name, ok: false, detail: err.message, fix: err.hint ?? '' };
  }
  const item: DoctorItem = {
    area: 'render',
    name,
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
  return item;
}

/** Shared libraries the dynamic loader knows (ldconfig's cache). */
async function sharedLibraries(): Promise<string> {
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig']) {
    const out = await promisify(execFile)(ldconfig, ['-p'], { maxBuffer: 64 * 1024 * 1024 }).then(
      (r) => r.stdout,
      () => null,
    );
    if (out !== null) return out;
  }
  return '';
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

interface BackendProbe {
  /** Settles when the child is warmed up and waits to be timed (null), or has finished. */
  ready: Promise<ProbeResult | null>;
  /** Lets a ready child time its steps; its result. */
  measure(): Promise<ProbeResult>;
  cancel(): void;
}

/** Starts `doctor/backend-probe.ts` in a child process (see there for the ready/go protocol). */
function startProbe(
  backend: string,
  seconds: number,
  env: Record<string, string> = {},
): BackendProbe {
  const root = projectRoot();
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin', 'run-ts.js'),
      join(root, 'doctor', 'backend-probe.ts'),
      backend,
      String(seconds),
    ],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  // Two limits: starting and warming up, then (after go) the timed steps. Waiting for go between
  // them has none: the other items' measurements come first.
  const kill = () => child.kill('SIGKILL');
  let timer = setTimeout(kill, 120_000);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let onReady!: (r: ProbeResult | null) => void;
  const ready = new Promise<ProbeResult | null>((res) => (onReady = res));
  const result = new Promise<ProbeResult>((resolve) => {
    let last: ProbeResult | null = null;
    createInterface({ input: child.stdout }).on('line', (l) => {
      let msg: unknown;
      try {
        msg = JSON.parse(l);
      } catch {
        return; // a backend's own chatter
      }
      if (typeof msg !== 'object' || msg === null) return;
      if ('ready' in msg) {
        clearTimeout(timer);
        onReady(null);
      } else last = msg as ProbeResult;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(
        last ?? {
          ok: false,
          error: `the probe process failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n')[0] ?? ''}`,
        },
      );
    });
  });
  void result.then(onReady); // finished without waiting to be timed (failed, or seconds 0)
  child.stdin.on('error', () => {}); // a child that exited already
  return {
    ready,
    measure: async () => {
      timer = setTimeout(kill, 120_000 + seconds * 1000);
      child.stdin.end('go\n');
      return result;
    },
    cancel: () => {
      child.kill('SIGKILL');
    },
  };
}

const rateOf = (r: ProbeResult) =>
  r.images_per_s
    ? {
        rate: {
          value: r.images_per_s,
          unit: 'images/s (Adam steps, default encoder, 32², batch 8)',
        },
      }
    : {};

const finished = async (p: BackendProbe) => (await p.ready) ?? (await p.measure());

function trainSteps(opts: DoctorOptions): Step[] {
  const tensorflow = startProbe('tensorflow', opts.seconds);
  const gpu = startProbe('webgpu', opts.seconds);
  // The same kernels on the software Vulkan device: proves the webgpu path, not a speed. Started
  // with the rest; dropped when a hardware adapter works.
  const soft = existsSync(SWIFTSHADER_VULKAN_ENV.VK_ICD_FILENAMES)
    ? startProbe('webgpu', Math.min(opts.seconds, 1), {
        ...SWIFTSHADER_VULKAN_ENV,
        [SOFTWARE_GPU_ENV]: '1',
      })
    : null;
  const wasm = startProbe('wasm', opts.seconds);
  const libs = sharedLibraries();
  return [
    {
      check: Promise.all([tensorflow.ready, libs]),
      finish: async () => {
        const r = await finished(tensorflow);
        const cuda = cudaNeeds(await libs);
        if (r.ok) {
          return [
            {
              area: 'train',
              name: 'tensorflow',
              ok: true,
              detail: `${r.reason}; ${cuda.detail}`,
              ...rateOf(r),
            },
          ];
        }
        return [
          {
            area: 'train',
            name: 'tensorflow',
            ok: false,
            detail: `${r.error}; ${cuda.detail}`,
            fix: cuda.ok
              ? 'npm install @tensorflow/tfjs-node-gpu (its install script downloads libtensorflow: needs network)'
              : `${cuda.fix}; then npm install @tensorflow/tfjs-node-gpu`,
          },
        ];
      },
    },
    {
      check: Promise.all([gpu.ready, soft?.ready]),
      finish: async () => {
        const r = await finished(gpu);
        if (r.ok) {
          soft?.cancel();
          return [
            { area: 'train', name: 'webgpu', ok: true, detail: r.reason ?? '', ...rateOf(r) },
          ];
        }
        const items: DoctorItem[] = [
          { area: 'train', name: 'webgpu', ok: false, detail: r.error ?? '', fix: r.hint ?? '' },
        ];
        if (soft) {
          const sr = await finished(soft);
          items.push({
            area: 'train',
            name: 'webgpu (software, testing only)',
            ok: sr.ok,
            detail: sr.ok ? (sr.reason ?? '') : (sr.error ?? ''),
            ...(sr.ok ? rateOf(sr) : { fix: sr.hint ?? '' }),
          });
        }
        return items;
      },
    },
    {
      check: wasm.ready,
      finish: async () => {
        const r = await finished(wasm);
        return [
          {
            area: 'train',
            name: 'wasm',
            ok: r.ok,
            detail: r.ok ? (r.reason ?? '') : (r.error ?? ''),
            ...(r.ok ? rateOf(r) : { fix: r.hint ?? 'reinstall: npm ci' }),
          },
        ];
      },
    },
  ];
}

function pythonSteps(): Step[] {
  const peers: { name: string; modules: string[]; use: string; version?: string }[] = [
    { name: 'NumPy', modules: ['numpy'], use: 'reference checks in tests' },
    {
      name: 'PyTorch',
      modules: ['torch'],
      use: 'the training bench peer (bench/train-bench.ts)',
      // One import of torch (seconds) both finds the peer and reads its version.
      version: 'print("torch", torch.__version__, "CUDA", torch.cuda.is_available())',
    },
    { name: 'ONNX', modules: ['onnx'], use: 'ONNX baselines in tests' },
  ];
  return peers.map((p) => {
    const item = (async (): Promise<DoctorItem> => {
      const found = await findPythonAsync(p.modules, p.version);
      if (found.python === null) {
        return {
          area: 'python',
          name: p.name,
          ok: false,
          detail: `for ${p.use}: ${found.reason}`,
          fix: 'bash scripts/setup-peers.sh',
        };
      }
      const [, version, , cuda] = (found.stdout ?? '').trim().split(' ');
      const detail = p.version
        ? `${found.python}: torch ${version || '?'}, CUDA ${cuda === 'True' ? 'available' : 'not available'} (${p.use})`
        : `${found.python} (${p.use})`;
      return { area: 'python', name: p.name, ok: true, detail };
    })();
    return { check: item, finish: async () => [await item] };
  });
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const items: DoctorItem[] = [];
  const want = (a: DoctorItem['area']) => opts.only === undefined || opts.only.includes(a);
  const steps = [
    ...(want('render') ? renderSteps(opts) : []),
    ...(want('train') ? trainSteps(opts) : []),
    ...(want('python') ? pythonSteps() : []),
  ];
  await Promise.allSettled(steps.map((s) => s.check));
  for (const s of steps) {
    for (const i of await s.finish()) {
      items.push(i);
      opts.onItem?.(i);
    }
  }
  return {
    items,
    canRender:
      !want('render') ||
      items.some((i) => i.area === 'render' && i.name.startsWith('--gl') && i.ok),
  };
}
