/**
 * The page side of the generator, bundled with three.js by esbuild and run in headless Chromium.
 * Node calls `window.datadiet.renderSequence(scene, opts)`; the page renders every frame for both
 * eyes and streams each packed frame back over a WebSocket (the fastest way out measured here).
 * This file holds what lives as long as the page (socket, renderer); `sequence.ts` the frame loop.
 */
import { NoToneMapping, PCFShadowMap, SRGBColorSpace, WebGLRenderer } from 'three';
import type { SceneRecord } from '../../scenes/types.ts';
import { normalMaterial } from './pass-materials.ts';
import {
  SequenceRender,
  type InFlight,
  type PageContext,
  type RenderOptions,
  type RenderTimings,
} from './sequence.ts';

export type { RenderOptions, RenderTimings } from './sequence.ts';

const params = new URLSearchParams(location.search);
const socket = new WebSocket(params.get('ws')!);
socket.binaryType = 'arraybuffer';
const socketOpen = new Promise<void>((resolve, reject) => {
  socket.onopen = () => resolve();
  socket.onerror = () => reject(new Error('WebSocket to the generator failed'));
});

const canvas = document.createElement('canvas');
const renderer = new WebGLRenderer({
  canvas,
  antialias: false,
  powerPreference: 'high-performance',
});
renderer.toneMapping = NoToneMapping;
renderer.outputColorSpace = SRGBColorSpace;
renderer.shadowMap.type = PCFShadowMap;
renderer.shadowMap.autoUpdate = false;
// A shader that fails to compile must fail the sequence, not silently render nothing.
renderer.debug.onShaderError = (gl, program, vs, fs) => {
  throw new Error(
    `shader failed to compile: ${gl.getShaderInfoLog(fs) || gl.getShaderInfoLog(vs) || gl.getProgramInfoLog(program)}`,
  );
};
const page: PageContext = { renderer, socket, normalMat: normalMaterial() };

/** Every frame of one sequence: draw frame f while frame f−1's read-backs are collected and sent. */
async function renderSequence(rec: SceneRecord, opts: RenderOptions): Promise<RenderTimings> {
  await socketOpen;
  const seq = new SequenceRender(page, rec, opts);
  try {
    let pending: InFlight | null = null;
    for (let f = 0; f < rec.frames; f++) {
      await seq.drawFrame(f);
      if (!opts.transfer) {
        seq.waitForGpu();
        continue;
      }
      // Frame f's read-backs are queued on the GPU; frame f−1's are collected while f renders.
      const reading = seq.issueReads(f);
      if (pending) await seq.collect(pending);
      pending = reading;
    }
    if (pending) await seq.collect(pending);
  } finally {
    seq.dispose();
  }
  return seq.timings;
}

declare global {
  interface Window {
    datadiet: { renderSequence: typeof renderSequence; ready: Promise<void>; webgl2: boolean };
  }
}

window.datadiet = {
  renderSequence,
  ready: socketOpen,
  webgl2: renderer.capabilities.isWebGL2,
};
