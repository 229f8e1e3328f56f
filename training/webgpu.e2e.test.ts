/**
 * tfjs-backend-webgpu on a software Vulkan device (Chromium's SwiftShader ICD through Dawn), so
 * CI runs the webgpu kernels that a user's first GPU run would: every gradient objective trains
 * a few Adam steps and must match wasm; saliency maps must match, and one is checked against
 * finite differences; the kernels datadiet corrects are compared with wasm element by element.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../core/index.ts';
import { SOFTWARE_GPU_ENV, SWIFTSHADER_VULKAN_ENV } from './backend.ts';

const icd = existsSync(SWIFTSHADER_VULKAN_ENV.VK_ICD_FILENAMES);
if (!icd) {
  console.warn(
    `webgpu.test: skipped: no ${SWIFTSHADER_VULKAN_ENV.VK_ICD_FILENAMES} (Debian: apt-get install chromium)`,
  );
}

interface Figures {
  backend: string;
  reason: string;
  added: string[];
  losses: Record<string, number[]>;
  saliency: number[];
  fd: { analytic: number; numeric: number }[];
  kernels: Record<string, number[]>;
}

const fixture = async (arg: string, env: Record<string, string> = {}) => {
  const root = projectRoot();
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [join(root, 'bin', 'run-ts.js'), join(root, 'training', 'webgpu.fixture.ts'), arg],
    {
      env: { ...process.env, ...SWIFTSHADER_VULKAN_ENV, ...env },
      timeout: 120_000,
      maxBuffer: 64 << 20,
    },
  );
  return { json: JSON.parse(stdout.trim().split('\n').at(-1)!) as Figures, stderr };
};

const maxAbsDiff = (a: number[], b: number[]) => {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
};

describe.skipIf(!icd)('webgpu on the software Vulkan device', () => {
  it('takes a software adapter only on explicit opt-in, and auto never does', async () => {
    const refused = (await fixture('select:webgpu', { [SOFTWARE_GPU_ENV]: '' }))
      .json as unknown as {
      code: string;
      message: string;
      hint: string;
    };
    expect(refused.code).toBe('BACKEND_UNAVAILABLE');
    expect(refused.message).toMatch(/only a software adapter \(google swiftshader/i);
    expect(refused.message).toContain(`${SOFTWARE_GPU_ENV}=1`);
    const taken = (await fixture('select:webgpu', { [SOFTWARE_GPU_ENV]: '1' })).json;
    expect(taken.backend).toBe('webgpu');
    expect(taken.reason).toMatch(/^software adapter google swiftshader/i);
    const auto = (await fixture('select:auto', { [SOFTWARE_GPU_ENV]: '1' })).json;
    expect(auto.backend).toBe('wasm');
    expect(auto.reason).toMatch(/webgpu \(only a software adapter/);
  }, 60_000);

  it('trains every objective, saliency and corrected kernels as wasm does', async () => {
    const [gpu, wasm] = [
      await fixture('webgpu', { [SOFTWARE_GPU_ENV]: '1' }),
      await fixture('wasm'),
    ];
    expect(gpu.json.backend).toBe('webgpu');
    expect(wasm.json.backend).toBe('wasm');
    // A WGSL shader that fails to compile makes its op yield zeros, with only this on stderr.
    expect(gpu.stderr).not.toMatch(/Error while parsing WGSL|validation:/);
    expect(gpu.json.added.join()).toMatch(/binary ops/);

    expect(Object.keys(gpu.json.losses).sort()).toEqual(
      ['egomotion', 'prednet', 'sfa', 'sfa-binocular', 'supervised'].sort(),
    );
    for (const [name, losses] of Object.entries(wasm.json.losses)) {
      const got = gpu.json.losses[name]!;
      expect(got.length).toBe(3);
      // float32 on both sides, different reduction orders: 1e-4 relative after three Adam steps.
      for (let i = 0; i < losses.length; i++) {
        expect(Math.abs(got[i]! - losses[i]!), `${name} step ${i}`).toBeLessThan(
          1e-4 * Math.max(1, Math.abs(losses[i]!)),
        );
      }
      expect(got.at(-1)).not.toBe(got[0]); // the steps changed the weights
    }

    const top = Math.max(...wasm.json.saliency);
    expect(top).toBeGreaterThan(0);
    expect(maxAbsDiff(gpu.json.saliency, wasm.json.saliency)).toBeLessThan(1e-4 * top);
    for (const { analytic, numeric } of gpu.json.fd) {
      expect(Math.abs(analytic - numeric)).toBeLessThan(2e-3 * Math.abs(analytic) + 1e-6);
    }

    for (const [name, values] of Object.entries(wasm.json.kernels)) {
      expect(
        values.some((v) => v !== 0),
        name,
      ).toBe(true);
      expect(maxAbsDiff(gpu.json.kernels[name]!, values), name).toBeLessThan(1e-5);
    }
  }, 180_000);
});
