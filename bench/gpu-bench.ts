/**
 * The one prepared device check (run through bench/gpu.sh), printed as one JSON object:
 * - rendering: for each `--gl` (swiftshader, egl, vulkan), the renderer the page reports (checked
 *   against the choice: a hardware request that gets software is an error, not a slow figure),
 *   render-only and end-to-end (read-back, transfer, npy/tar writing) stereo pairs/s at 256²
 *   (`--render-size`);
 * - training: the benchmark encoder (SFA loss) and PredNet, the same models and batches as the CPU
 *   benchmark, on tfjs-node-gpu (when installed) and on WebGPU (Dawn over Vulkan), and PyTorch CUDA
 *   as the peer on the same models.
 * Exit status 0 when any figure was measured on a GPU (a hardware renderer, a tfjs GPU backend or
 * PyTorch CUDA), 2 when none was (`reasons` says why for each side). Sized for < 8 minutes on an
 * H200: each measurement runs `--seconds` (default 10), and sections that would start after
 * `--budget` seconds (default 420) are skipped and say so.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
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
import { selectBackend } from '../training/index.ts';
import { endToEnd } from './generate-bench.ts';
import { encoderCase, measure, prednetCase, torchPeer } from './train-bench.ts';

const flag = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return (i >= 0 && Number(process.argv[i + 1])) || fallback;
};
const seconds = flag('--seconds', 10);
const budget = flag('--budget', 420);
/** Frame side of the rendering figures (256 by default; the CPU test passes a small one). */
const renderSize = flag('--render-size', 256);
const started = performance.now();
const overBudget = () => (performance.now() - started) / 1000 > budget;
const SKIPPED = { error: `skipped: the run passed its --budget of ${budget} s` };

function nvidiaSmi(): string | null {
  try {
    return execFileSync(
      'nvidia-smi',
      ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'],
      { encoding: 'utf8', timeout: 30_000 },
    ).trim();
  } catch {
    return null;
  }
}

type Side = Record<string, unknown>;
const err = (e: unknown): Side => {
  const x = e as { message: string; hint?: string };
  return { error: x.message.split('\n')[0], ...(x.hint ? { fix: x.hint } : {}) };
};

/** Render-only stereo pairs/s of one browser for about `seconds`, after a warm-up sequence. */
async function renderOnly(browser: string, gl: ConcreteGl, renderer: string, size: number) {
  const spec = parseSpec({ width: size, height: size, frames: 8, sequences: 1000, seed: 1 });
  const server = await FrameServer.start();
  const worker = new RenderWorker(server, browser, 300_000, { gl, renderer });
  try {
    await worker.open();
    await worker.render(sampleScene(spec, 999), spec.layers, false); // shader compilation
    let pairs = 0;
    const t0 = performance.now();
    for (let i = 0; performance.now() - t0 < seconds * 1000 || i < 2; i++) {
      await worker.render(sampleScene(spec, i), spec.layers, false);
      pairs += spec.frames;
    }
    return pairs / ((performance.now() - t0) / 1000);
  } finally {
    await worker.close();
    await server.close();
  }
}

async function rendering(): Promise<{ sides: Record<string, Side>; gpu: number }> {
  let browser: string;
  try {
    browser = findBrowser();
  } catch (e) {
    return { sides: { browser: err(e) }, gpu: 0 };
  }
  const sides: Record<string, Side> = {};
  let gpu = 0;
  const size = renderSize;
  for (const gl of ['swiftshader', 'egl', 'vulkan'] as const) {
    if (overBudget()) {
      sides[gl] = SKIPPED;
      continue;
    }
    try {
      const got = await probeRenderer(browser, gl);
      const info = got === null ? null : describeRenderer(got);
      if (info === null || !honours(gl, info)) throw glMismatch(gl, got);
      const side: Side = { renderer: got, device: info.device };
      side.render_only_pairs_per_s = +(await renderOnly(browser, gl, got!, size)).toFixed(1);
      // End to end through generateDataset: 2 × --seconds sequences (4 to 40) of 8 frames.
      const sequences = Math.max(4, Math.min(40, Math.round(2 * seconds)));
      const spec = parseSpec({
        width: size,
        height: size,
        frames: 8,
        sequences,
        sequences_per_shard: 4,
        seed: 1,
      });
      side.end_to_end_pairs_per_s = +(await endToEnd(spec, 1, gl)).rate.toFixed(1);
      sides[gl] = side;
      if (info.device === 'hardware') gpu++;
    } catch (e) {
      sides[gl] = err(e);
    }
  }
  return { sides, gpu };
}

async function tfjsBackend(backend: 'tensorflow' | 'webgpu'): Promise<Side> {
  if (overBudget()) return SKIPPED;
  let choice;
  try {
    choice = await selectBackend(backend);
  } catch (e) {
    return err(e);
  }
  const rates: Record<string, number> = {};
  const errors: Record<string, string> = {};
  for (const c of [encoderCase(), prednetCase()]) {
    try {
      rates[c.name] = +(await measure(c, seconds)).imagesPerSecond.toFixed(1);
    } catch (e) {
      errors[c.name] = (e as Error).message.split('\n')[0]!;
    }
  }
  return {
    backend: choice.name,
    reason: choice.reason,
    images_per_second: rates,
    ...(Object.keys(errors).length ? { errors } : {}),
  };
}

const gpuName = nvidiaSmi();
const render = await rendering();
// tfjs-node-gpu first: once WebGPU is the active backend, tfjs-node would still load, but its
// figures would be taken after Dawn's allocations.
const tfjs = { tensorflow: await tfjsBackend('tensorflow'), webgpu: await tfjsBackend('webgpu') };
const peer = overBudget() ? { missing: SKIPPED.error } : torchPeer(seconds, { device: 'cuda' });
const torch: Side =
  'missing' in peer
    ? { error: peer.missing }
    : {
        images_per_second: Object.fromEntries(
          Object.entries(peer.rates).map(([k, v]) => [k, +v.toFixed(1)]),
        ),
      };
const thRates = torch.images_per_second as Record<string, number> | undefined;
const ratio: Record<string, Record<string, number>> = {};
for (const [name, side] of Object.entries(tfjs)) {
  const tf = side.images_per_second as Record<string, number> | undefined;
  for (const m of ['encoder', 'prednet'])
    if (tf?.[m] && thRates?.[m]) (ratio[name] ??= {})[m] = +(tf[m] / thRates[m]).toFixed(3);
}
const trainGpu =
  Object.values(tfjs).filter((s) => Object.keys(s.images_per_second ?? {}).length > 0).length +
  (thRates && Object.keys(thRates).length > 0 ? 1 : 0);
const gpuFigures = render.gpu + trainGpu;
const reasons: string[] = [];
if (render.gpu === 0) reasons.push('rendering: no --gl choice gave a hardware renderer');
for (const [name, side] of Object.entries(tfjs))
  if (side.error) reasons.push(`tfjs ${name}: ${String(side.error)}`);
if (torch.error) reasons.push(`PyTorch CUDA: ${String(torch.error)}`);

const result = {
  machine: {
    gpu: gpuName ?? 'none (nvidia-smi not found or failed)',
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    node: process.version,
    loadavg: loadavg().map((x) => +x.toFixed(2)),
  },
  models: {
    encoder: '64×64×3, convs 32/64/128 stride 2, pooled 64-d, SFA loss, batch 32 clips × 2 frames',
    prednet: '64², layers 3/16/32/64, batch 4 × T 10, L0 loss',
  },
  seconds_per_measurement: seconds,
  render: { size: `${renderSize}², 8 frames, default layers, 1 browser`, ...render.sides },
  tfjs,
  pytorch_cuda: torch,
  tfjs_over_pytorch: ratio,
  gpu_figures: gpuFigures,
  wall_seconds: +((performance.now() - started) / 1000).toFixed(1),
  ...(gpuFigures === 0 ? { reasons } : {}),
};
console.log(JSON.stringify(result, null, 2));
if (gpuFigures === 0) {
  console.error(`bench/gpu.sh: no GPU figure measured: ${reasons.join('; ')}`);
}
process.exit(gpuFigures > 0 ? 0 : 2);
