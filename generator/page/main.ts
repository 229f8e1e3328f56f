/**
 * The page side of the generator, bundled with three.js by esbuild and run in headless Chromium.
 * Node calls `window.datadiet.renderSequence(scene, opts)`; the page renders every frame for both
 * eyes and streams each packed frame back over a WebSocket (the fastest way out measured here).
 */
import {
  Color,
  Matrix4,
  NoToneMapping,
  PCFShadowMap,
  PerspectiveCamera,
  SRGBColorSpace,
  UnsignedByteType,
  WebGLRenderer,
  WebGLRenderTarget,
} from 'three';
import type { LayerName } from '../../output/layers.ts';
import type { Mat4, SceneRecord } from '../../scenes/types.ts';
import { FRAME_MAGIC, frameLayout } from '../frame-layout.ts';
import { buildScene, depthMaterial, type BuiltScene } from './scene-builder.ts';

export interface RenderOptions {
  layers: LayerName[];
  /** false: render and synchronise every pass but move no pixels (the render-only benchmark). */
  transfer: boolean;
}

export interface RenderTimings {
  frames: number;
  render_ms: number;
  readback_ms: number;
  pack_ms: number;
  send_wait_ms: number;
}

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
const depthMat = depthMaterial();

// OpenCV camera (y down, z forward) → three camera (y up, looking down −z).
const CV_TO_THREE = new Matrix4().makeScale(1, -1, -1);
const tmp = new Matrix4();
function setCamera(camera: PerspectiveCamera, worldFromCv: Mat4) {
  tmp.set(...(worldFromCv.flat() as Parameters<Matrix4['set']>));
  camera.matrix.multiplyMatrices(tmp, CV_TO_THREE);
  camera.matrixWorldNeedsUpdate = true;
  camera.updateMatrixWorld(true);
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_BUFFERED = 32 * 1024 * 1024;

function packRgb(src: Uint8Array, dst: Uint8Array, w: number, h: number) {
  for (let y = 0; y < h; y++) {
    let s = (h - 1 - y) * w * 4; // readPixels rows are bottom-up
    let d = y * w * 3;
    for (let x = 0; x < w; x++, s += 4, d += 3) {
      dst[d] = src[s]!;
      dst[d + 1] = src[s + 1]!;
      dst[d + 2] = src[s + 2]!;
    }
  }
}

function packDepth(src: Uint32Array, dst: Uint32Array, w: number, h: number, farBits: number) {
  for (let y = 0; y < h; y++) {
    const s = (h - 1 - y) * w;
    const d = y * w;
    for (let x = 0; x < w; x++) {
      const v = src[s + x]!;
      dst[d + x] = v === 0 ? farBits : v; // cleared pixels saw no surface
    }
  }
}

function packIds(
  src: Uint8Array,
  seg: Uint16Array | null,
  parts: Uint8Array | null,
  w: number,
  h: number,
) {
  for (let y = 0; y < h; y++) {
    let s = (h - 1 - y) * w * 4;
    let d = y * w;
    for (let x = 0; x < w; x++, s += 4, d++) {
      if (seg) seg[d] = src[s]! | (src[s + 1]! << 8);
      if (parts) parts[d] = src[s + 2]! > 127 ? 1 : 0;
    }
  }
}

async function renderSequence(rec: SceneRecord, opts: RenderOptions): Promise<RenderTimings> {
  await socketOpen;
  const { width: w, height: h } = rec.camera;
  const want = (l: LayerName) => opts.layers.includes(l);
  const layout = frameLayout(opts.layers, w, h);
  const built: BuiltScene = buildScene(rec);
  renderer.shadowMap.enabled = rec.render.shadows;
  const camera = new PerspectiveCamera(
    rec.camera.fov_y_deg,
    w / h,
    rec.camera.near,
    rec.camera.far,
  );
  camera.matrixAutoUpdate = false;
  const rtColor = new WebGLRenderTarget(w, h, {
    type: UnsignedByteType,
    colorSpace: SRGBColorSpace,
    samples: rec.render.antialias ? 4 : 0,
  });
  const rtGeom = new WebGLRenderTarget(w, h, { type: UnsignedByteType });
  const rgba = new Uint8Array(w * h * 4);
  const one = new Uint8Array(4);
  const farBits = new Uint32Array(new Float32Array([rec.camera.far]).buffer)[0]!;
  const t: RenderTimings = {
    frames: rec.frames,
    render_ms: 0,
    readback_ms: 0,
    pack_ms: 0,
    send_wait_ms: 0,
  };
  const clear = new Color(0, 0, 0);

  const pass = (target: WebGLRenderTarget): Uint8Array | null => {
    let t0 = now();
    renderer.setRenderTarget(target);
    renderer.render(built.scene, camera);
    t.render_ms += now() - t0;
    t0 = now();
    if (!opts.transfer) {
      renderer.readRenderTargetPixels(target, 0, 0, 1, 1, one); // wait for the GPU, move nothing
      t.readback_ms += now() - t0;
      return null;
    }
    renderer.readRenderTargetPixels(target, 0, 0, w, h, rgba);
    t.readback_ms += now() - t0;
    return rgba;
  };

  try {
    for (let f = 0; f < rec.frames; f++) {
      for (let i = 0; i < built.objects.length; i++) {
        const pose = rec.objects[i]!.poses[f]!;
        built.objects[i]!.position.set(...pose.position);
        built.objects[i]!.quaternion.set(...pose.quaternion);
      }
      renderer.shadowMap.needsUpdate = rec.render.shadows; // once per frame, shared by both eyes
      const frame = opts.transfer ? new ArrayBuffer(layout.totalBytes) : null;
      if (frame) new Uint32Array(frame, 0, 4).set([FRAME_MAGIC, rec.index, f, layout.totalBytes]);
      const slot = (eye: string, layer: LayerName) => {
        const s = layout.slots.find((x) => x.eye === eye && x.layer === layer)!;
        return { offset: s.offset, bytes: s.bytes };
      };

      for (const eye of ['left', 'right'] as const) {
        setCamera(camera, rec.camera.world_from_camera[eye][f]!);
        if (want('rgb')) {
          for (const m of built.meshes) m.mesh.material = m.color;
          built.scene.background = built.sky;
          built.scene.overrideMaterial = null;
          const px = pass(rtColor);
          if (px && frame) {
            const t0 = now();
            const s = slot(eye, 'rgb');
            packRgb(px, new Uint8Array(frame, s.offset, s.bytes), w, h);
            t.pack_ms += now() - t0;
          }
        }
        built.scene.background = null;
        renderer.setClearColor(clear, 0);
        if (want('depth')) {
          built.scene.overrideMaterial = depthMat;
          const px = pass(rtGeom);
          if (px && frame) {
            const t0 = now();
            const s = slot(eye, 'depth');
            const dst = new Uint32Array(s.bytes / 4);
            packDepth(new Uint32Array(px.buffer), dst, w, h, farBits);
            new Uint8Array(frame, s.offset, s.bytes).set(new Uint8Array(dst.buffer));
            t.pack_ms += now() - t0;
          }
          built.scene.overrideMaterial = null;
        }
        if (want('seg') || want('parts')) {
          for (const m of built.meshes) m.mesh.material = m.id;
          const px = pass(rtGeom);
          if (px && frame) {
            const t0 = now();
            const seg = want('seg') ? new Uint16Array(w * h) : null;
            const parts = want('parts') ? new Uint8Array(w * h) : null;
            packIds(px, seg, parts, w, h);
            if (seg) {
              const s = slot(eye, 'seg');
              new Uint8Array(frame, s.offset, s.bytes).set(new Uint8Array(seg.buffer));
            }
            if (parts) new Uint8Array(frame, slot(eye, 'parts').offset, w * h).set(parts);
            t.pack_ms += now() - t0;
          }
        }
      }
      if (frame) {
        const t0 = now();
        while (socket.bufferedAmount > MAX_BUFFERED) await sleep(1);
        socket.send(frame);
        t.send_wait_ms += now() - t0;
      }
    }
  } finally {
    renderer.setRenderTarget(null);
    rtColor.dispose();
    rtGeom.dispose();
    built.dispose();
  }
  return t;
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
