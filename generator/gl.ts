/**
 * `--gl`: which GL stack Chromium's ANGLE renders WebGL2 with, and the check that it got it.
 * Chromium falls back to SwiftShader silently when a backend cannot start (measured here:
 * `--use-angle=vulkan` and `--use-angle=gl` gave SwiftShader), so the page's unmasked renderer
 * string is read and checked against the choice; a choice that cannot be honoured is an error.
 */
import { DatadietError } from '../core/index.ts';

export const GL_MODES = ['auto', 'swiftshader', 'egl', 'vulkan'] as const;
export type GlMode = (typeof GL_MODES)[number];
export type ConcreteGl = Exclude<GlMode, 'auto'>;

/** ANGLE flags per backend (PROBES.md); every one keeps the WebGL blocklist out of the way. */
const FLAGS: Record<ConcreteGl, string[]> = {
  swiftshader: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  // libEGL (libglvnd) picks the vendor: NVIDIA's libEGL_nvidia on a GPU node, Mesa llvmpipe here.
  egl: ['--use-gl=angle', '--use-angle=gl-egl'],
  vulkan: [
    '--use-angle=vulkan',
    '--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan',
    '--disable-vulkan-surface',
  ],
};

export function glFlags(gl: ConcreteGl): string[] {
  return [...FLAGS[gl], '--ignore-gpu-blocklist'];
}

/** What a WebGL renderer string says about the device behind it. */
export interface RendererInfo {
  /** The page's UNMASKED_RENDERER_WEBGL string, e.g. "ANGLE (Mesa/X.org, llvmpipe (…), OpenGL ES 3.2)". */
  renderer: string;
  /** swiftshader | llvmpipe | hardware */
  device: 'swiftshader' | 'llvmpipe' | 'hardware';
  /** ANGLE's backend as the string names it: vulkan | opengl | unknown. */
  api: 'vulkan' | 'opengl' | 'unknown';
}

export function describeRenderer(renderer: string): RendererInfo {
  const device = /swiftshader/i.test(renderer)
    ? 'swiftshader'
    : /llvmpipe|softpipe|lavapipe/i.test(renderer)
      ? 'llvmpipe'
      : 'hardware';
  const api = /vulkan/i.test(renderer) ? 'vulkan' : /opengl/i.test(renderer) ? 'opengl' : 'unknown';
  return { renderer, device, api };
}

/** The record written into manifest.json / demo.json and into the resume fingerprint. */
export interface RendererRecord extends RendererInfo {
  gl: ConcreteGl;
  software: boolean;
}

export function rendererRecord(gl: ConcreteGl, renderer: string): RendererRecord {
  const info = describeRenderer(renderer);
  return { gl, ...info, software: info.device !== 'hardware' };
}

/**
 * Whether the renderer honours the choice: swiftshader must be SwiftShader; egl must be ANGLE on
 * OpenGL (ES) and not SwiftShader (llvmpipe is the software EGL); vulkan must be a Vulkan device
 * other than SwiftShader (SwiftShader is also a Vulkan driver, so the API alone proves nothing).
 */
export function honours(gl: ConcreteGl, info: RendererInfo): boolean {
  if (gl === 'swiftshader') return info.device === 'swiftshader';
  if (gl === 'egl') return info.device !== 'swiftshader' && info.api !== 'vulkan';
  return info.device !== 'swiftshader' && info.api === 'vulkan';
}

const NEEDS: Record<ConcreteGl, string> = {
  swiftshader: "Chromium's bundled SwiftShader (Debian: apt-get install chromium)",
  egl: 'libEGL and libGLESv2 from libglvnd with a vendor library: on a GPU node the NVIDIA driver (libEGL_nvidia), on CPU Mesa llvmpipe (Debian: apt-get install libegl1 libegl-mesa0 libgles2)',
  vulkan:
    "a hardware Vulkan driver visible to Chromium (NVIDIA's ICD in /usr/share/vulkan/icd.d, libvulkan1) — none is usable here",
};

/** GL_UNAVAILABLE naming the choice, what the page got instead, and what is missing. */
export function glMismatch(gl: ConcreteGl, got: string | null): DatadietError {
  return new DatadietError(
    'GL_UNAVAILABLE',
    `--gl ${gl}: ${got === null ? 'the browser gave no WebGL2 context' : `the browser rendered with "${got}" instead`}; it needs ${NEEDS[gl]}`,
    {
      hint: `install what is missing, or pass --gl auto (it says what it picks) or --gl swiftshader`,
    },
  );
}

/**
 * Runs in the page: the unmasked renderer of a fresh WebGL2 context, or null when there is none.
 * A string, so no bundler rewrites it and it needs no DOM types here.
 */
export const READ_RENDERER_JS = `(() => {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return null;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const r = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return String(r);
})()`;
