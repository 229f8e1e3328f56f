/**
 * `datadiet evaluate` on tfjs-webgpu (Dawn on Chromium's SwiftShader Vulkan device, the software
 * adapter issue 16 lets CI use) against wasm, on one tiny rendered dataset and an SFA run: the
 * features, probe, saliency and slowness paths all read tensors asynchronously (Node's webgpu has
 * no dataSync), and their figures must match wasm's. Each side runs the CLI in a child process:
 * Dawn must see the Vulkan environment before it loads. (A PredNet run would add the next-frame
 * path but took ~55 s of shader compilation on SwiftShader here; its SSIM kernel is compared in
 * training/webgpu.e2e.test.ts instead.)
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../core/index.ts';
import { generateTiny, tempDir } from '../generator/test-helpers.ts';
import {
  SOFTWARE_GPU_ENV,
  SWIFTSHADER_VULKAN_ENV,
  selectBackend,
  train,
} from '../training/index.ts';
import type { EvalMetrics } from './index.ts';

const icd = existsSync(SWIFTSHADER_VULKAN_ENV.VK_ICD_FILENAMES);

async function evaluate(backend: string, model: string, data: string) {
  const out = await tempDir(`eval-${backend}`);
  const env =
    backend === 'webgpu' ? { ...SWIFTSHADER_VULKAN_ENV, [SOFTWARE_GPU_ENV]: '1' } : ({} as const);
  const { stderr } = await promisify(execFile)(
    process.execPath,
    [
      join(projectRoot(), 'bin', 'datadiet.js'),
      ...['evaluate', '--model', model, '--data', data, '--out', out, '--backend', backend],
    ],
    { env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 64 << 20 },
  );
  const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as EvalMetrics;
  return { metrics, stderr };
}

let model = '';
let data = '';

beforeAll(async () => {
  if (!icd) return;
  await selectBackend('wasm');
  ({ out: data } = await generateTiny({
    sequences: 16,
    sequences_per_shard: 16,
    frames: 4,
    width: 16,
    height: 16,
    objects: { count: 1, categories: ['vehicle', 'chair'] },
    lighting: { shadows: false },
    render: { antialias: false },
    layers: ['rgb', 'seg', 'parts'],
    seed: 5,
  }));
  model = await tempDir('eval-webgpu-run');
  const r = await train({
    data,
    out: model,
    backend: 'wasm',
    config: {
      objective: 'sfa',
      steps: 2,
      batch: 4,
      clip: 2,
      shuffleBuffer: 8,
      encoder: { width: 4, embedding: 4 },
    },
  });
  r.model.params.dispose();
}, 120_000);

describe.skipIf(!icd)('evaluate on webgpu (software Vulkan device)', () => {
  it('gives the figures wasm gives: probe, saliency alignment, slowness', async () => {
    const [gpu, wasm] = [
      await evaluate('webgpu', model, data),
      await evaluate('wasm', model, data),
    ];
    expect(gpu.metrics.versions.backend).toBe('webgpu');
    expect(wasm.metrics.versions.backend).toBe('wasm');
    expect(gpu.stderr).not.toMatch(/Error while parsing WGSL|validation:/);
    const close = (a: number, b: number, what: string, rel = 1e-3) =>
      expect(Math.abs(a - b), `${what}: webgpu ${a}, wasm ${b}`).toBeLessThanOrEqual(
        rel * Math.max(1e-6, Math.abs(b)) + 1e-6,
      );
    const [g, w] = [gpu.metrics, wasm.metrics];
    // The probe is float64 on the CPU over float32 features: the same split, the same decisions.
    expect(g.probe.held_out).toBe(w.probe.held_out);
    close(g.probe.top1, w.probe.top1, 'probe top-1', 0);
    expect(g.alignment.images).toBe(w.alignment.images);
    expect(w.alignment.images).toBeGreaterThan(0);
    for (const k of Object.keys(w.alignment) as (keyof typeof w.alignment)[]) {
      const [a, b] = [g.alignment[k], w.alignment[k]];
      if (typeof a === 'number' && typeof b === 'number') close(a, b, `alignment.${k}`, 1e-2);
    }
    expect(w.slowness).not.toBeNull();
    close(g.slowness!.delta, w.slowness!.delta, 'slowness Δ');
    close(g.slowness!.feature_std, w.slowness!.feature_std, 'feature std');
  }, 300_000);
});
