/**
 * `--gl`: the renderer string each choice gives, the check that refuses a silent fallback, and
 * the renderer recorded in the manifest, the sidecars and the resume fingerprint (real Chromium).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/test-helpers.ts';
import { expectDatadietError } from '../core/test-helpers.ts';
import { findBrowser, probeRenderer } from './browser.ts';
import { describeRenderer, honours } from './gl.ts';
import { generateTiny, shardHashes, tempDir } from './test-helpers.ts';

const SWIFTSHADER =
  'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
const LLVMPIPE = 'ANGLE (Mesa/X.org, llvmpipe (LLVM 15.0.6 256 bits), OpenGL ES 3.2)';
const NVIDIA_EGL = 'ANGLE (NVIDIA Corporation, NVIDIA H100 80GB HBM3/PCIe/SSE2, OpenGL ES 3.2)';
const NVIDIA_VK = 'ANGLE (NVIDIA, Vulkan 1.3.277 (NVIDIA H100 80GB HBM3 (0x00002330)), NVIDIA)';

const tiny = {
  width: 16,
  height: 16,
  sequences: 2,
  frames: 2,
  sequences_per_shard: 2,
  layers: ['rgb' as const],
  lighting: { shadows: false },
};

describe('renderer strings', () => {
  it('classifies devices and says which choice each honours', () => {
    expect(describeRenderer(SWIFTSHADER)).toMatchObject({ device: 'swiftshader', api: 'vulkan' });
    expect(describeRenderer(LLVMPIPE)).toMatchObject({ device: 'llvmpipe', api: 'opengl' });
    expect(describeRenderer(NVIDIA_EGL)).toMatchObject({ device: 'hardware', api: 'opengl' });
    const ok = (s: string) =>
      (['swiftshader', 'egl', 'vulkan'] as const).filter((g) => honours(g, describeRenderer(s)));
    expect(ok(SWIFTSHADER)).toEqual(['swiftshader']); // never "vulkan": SwiftShader is a Vulkan driver
    expect(ok(LLVMPIPE)).toEqual(['egl']);
    expect(ok(NVIDIA_EGL)).toEqual(['egl']);
    expect(ok(NVIDIA_VK)).toEqual(['vulkan']);
  });
});

describe('--gl in real Chromium', () => {
  const browser = findBrowser();

  it('swiftshader and egl record their renderers; datasets of two renderers never mix', async () => {
    const egl = await probeRenderer(browser, 'egl');
    const { out, result } = await generateTiny(tiny, { gl: 'swiftshader' });
    expect(result.renderer).toMatchObject({ gl: 'swiftshader', device: 'swiftshader' });
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.renderer.renderer).toMatch(/SwiftShader/);
    const sidecar = JSON.parse(await readFile(join(out, 'shards', 'shard-000000.json'), 'utf8'));
    expect(sidecar.renderer.renderer).toBe(manifest.renderer.renderer);
    if (egl === null || !/llvmpipe/.test(egl)) {
      console.warn(
        `gl.test: --gl egl part skipped: EGL gave ${egl ?? 'no WebGL2'} (Debian: apt-get install libegl1 libegl-mesa0 libgles2)`,
      );
      return;
    }
    // The same command with another renderer refuses the folder instead of mixing shards.
    await expectDatadietError(generateTiny(tiny, { out, gl: 'egl' }), 'OUT_DIR_MISMATCH', /--gl/);
    const a = await generateTiny(tiny, { gl: 'egl' });
    expect(a.result.renderer).toMatchObject({ gl: 'egl', device: 'llvmpipe', software: true });
    const m = JSON.parse(await readFile(join(a.out, 'manifest.json'), 'utf8'));
    expect(m.renderer.renderer).toBe(egl);
    expect(m.fingerprint).not.toBe(manifest.fingerprint);
    // Byte-identical per renderer: a second llvmpipe run gives the same shards.
    const b = await generateTiny(tiny, { gl: 'egl' });
    expect(await shardHashes(b.out)).toEqual(await shardHashes(a.out));
  }, 180_000);

  it('a choice the machine cannot honour fails naming what is missing, never falls back', async () => {
    const got = await probeRenderer(browser, 'vulkan');
    if (got !== null && honours('vulkan', describeRenderer(got))) {
      console.warn(
        `gl.test: this machine has a hardware Vulkan renderer (${got}); nothing to refuse`,
      );
      return;
    }
    const out = await tempDir('gl-vulkan');
    const r = await runCli([
      'generate',
      '--out',
      out,
      '--sequences',
      '1',
      '--frames',
      '1',
      '--width',
      '16',
      '--height',
      '16',
      '--gl',
      'vulkan',
    ]);
    expect(r.code).toBe(4);
    const text = r.err.join('\n');
    expect(text).toMatch(/GL_UNAVAILABLE/);
    expect(text).toMatch(/--gl vulkan: .*(no WebGL2 context|instead).*hardware Vulkan driver/);
    expect(text).not.toMatch(/\n\s+at /); // no stack trace
    const bad = await runCli(['generate', '--out', out, '--gl', 'metal']);
    expect(bad.code).toBe(2);
    expect(bad.err.join('\n')).toMatch(/--gl: unknown renderer "metal"/);
  }, 60_000);
});
