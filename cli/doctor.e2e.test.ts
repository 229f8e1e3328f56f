/** `datadiet doctor` on this machine: real Chromium, real backends in child processes. */
import { describe, expect, it } from 'vitest';
import { cudaNeeds, type DoctorReport } from '../doctor/index.ts';
import { runCli } from './test-helpers.ts';

describe('datadiet doctor', () => {
  it('lists each renderer and backend, measures the usable ones, and gives the fix for the rest', async () => {
    const r = await runCli(['doctor', '--seconds', '0.3', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out.join('\n')) as DoctorReport;
    const item = (name: string) => report.items.find((i) => i.name === name)!;
    expect(report.canRender).toBe(true);
    const ss = item('--gl swiftshader');
    expect(ss.ok).toBe(true);
    expect(ss.detail).toMatch(/SwiftShader/);
    expect(ss.rate!.value).toBeGreaterThan(0);
    // Every item is either usable or says how to make it so.
    for (const i of report.items) expect(i.ok || (i.fix ?? '').length > 0, i.name).toBe(true);
    expect(item('wasm').ok).toBe(true);
    expect(item('wasm').rate!.value).toBeGreaterThan(0);
    for (const name of ['--gl swiftshader', '--gl egl', '--gl vulkan', 'tensorflow', 'webgpu']) {
      expect(item(name), name).toBeDefined();
    }
    if (!item('tensorflow').ok) expect(item('tensorflow').fix).toMatch(/tfjs-node-gpu/);
    if (!item('--gl vulkan').ok) expect(item('--gl vulkan').detail).toMatch(/Vulkan driver/);
  }, 180_000);

  it('exits non-zero when nothing can render, naming the fix', async () => {
    const r = await runCli([
      'doctor',
      '--seconds',
      '0',
      '--only',
      'render',
      '--browser',
      '/nonexistent/chromium',
    ]);
    expect(r.code).toBe(4);
    const text = [...r.out, ...r.err].join('\n');
    expect(text).toMatch(/NO\s+browser\s+browser \/nonexistent\/chromium does not exist/);
    expect(text).toMatch(/nothing can render on this machine/);
    expect(text).not.toMatch(/\n\s+at /);
  }, 120_000);

  it("says which of tfjs-node-gpu's CUDA 11 / cuDNN 8 libraries are missing", () => {
    const lib = (n: string) => `\t${n} (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/${n}\n`;
    expect(
      cudaNeeds(lib('libcuda.so.1') + lib('libcudart.so.11.0') + lib('libcudnn.so.8')).ok,
    ).toBe(true);
    const cuda12 = cudaNeeds(lib('libcuda.so.1') + lib('libcudart.so.12') + lib('libcudnn.so.9'));
    expect(cuda12.ok).toBe(false);
    expect(cuda12.detail).toMatch(/CUDA 11\.x runtime.*cuDNN 8.*CUDA 12 is present/);
    expect(cuda12.fix).toMatch(/deploy\/Dockerfile\.tfjs-gpu/);
    expect(cudaNeeds('').detail).toMatch(/NVIDIA driver/);
  });
});
