/**
 * The page side of the generator, bundled with three.js by esbuild and run in headless Chromium.
 * Node calls `window.datadiet.renderSequence(scene, opts)`; the page renders every frame for both
 * eyes and streams each packed frame back over a WebSocket (the fastest way out measured here).
 */
import {
  Color,
  FloatType,
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
import { geometryShared, normalMaterial } from './pass-materials.ts';
import { buildScene, type BuiltScene } from './scene-builder.ts';

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
const normalMat = normalMaterial();

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

interface GeometryOut {
  w: number;
  h: number;
  far: number;
  depth: Float32Array | null;
  flow: Float32Array | null;
  seg: Uint16Array | null;
  parts: Uint8Array | null;
  valid: Uint8Array | null;
  /** Flow where no surface was drawn; null on the last frame (its flow is defined as zero). */
  skyFlow: ((u: number, v: number) => [number, number]) | null;
  write: (layer: LayerName, bytes: Uint8Array) => void;
}

/** Splits the float geometry pass (z, flow x, flow y, id·2+part) into its layers, rows top-down. */
function packGeometry(src: Float32Array, o: GeometryOut) {
  const { w, h, depth, flow, seg, parts, valid } = o;
  for (let y = 0; y < h; y++) {
    let s = (h - 1 - y) * w * 4; // readPixels rows are bottom-up
    let d = y * w;
    for (let x = 0; x < w; x++, s += 4, d++) {
      const z = src[s]!;
      const hit = z > 0; // cleared pixels saw no surface
      if (valid) valid[d] = hit ? 1 : 0;
      if (depth) depth[d] = hit ? z : o.far;
      if (flow) {
        if (!o.skyFlow) {
          flow[2 * d] = 0;
          flow[2 * d + 1] = 0;
        } else if (hit) {
          flow[2 * d] = src[s + 1]!;
          flow[2 * d + 1] = src[s + 2]!;
        } else {
          const [fx, fy] = o.skyFlow(x, y);
          flow[2 * d] = fx;
          flow[2 * d + 1] = fy;
        }
      }
      const code = hit ? src[s + 3]! : 0;
      if (seg) seg[d] = code >> 1;
      if (parts) parts[d] = code & 1;
    }
  }
  const bytes = (a: { buffer: ArrayBufferLike; byteLength: number }) =>
    new Uint8Array(a.buffer, 0, a.byteLength);
  if (depth) o.write('depth', bytes(depth));
  if (flow) o.write('flow', bytes(flow));
  if (seg) o.write('seg', bytes(seg));
  if (parts) o.write('parts', parts);
  if (valid) o.write('valid', valid);
}

/** three view space (y up, z back) → OpenCV camera frame, as int8 (unit × 127); 0 = no surface. */
function packNormals(src: Float32Array, dst: Int8Array, w: number, h: number) {
  for (let y = 0; y < h; y++) {
    let s = (h - 1 - y) * w * 4;
    let d = y * w * 3;
    for (let x = 0; x < w; x++, s += 4, d += 3) {
      if (src[s + 3]! === 0) continue;
      dst[d] = Math.round(src[s]! * 127);
      dst[d + 1] = Math.round(-src[s + 1]! * 127);
      dst[d + 2] = Math.round(-src[s + 2]! * 127);
    }
  }
}

/** Flow of a pixel that sees no surface: a point at infinity moves with the camera's rotation only. */
function rotationFlow(
  prev: Mat4,
  next: Mat4,
  K: SceneRecord['camera']['K'],
  u: number,
  v: number,
): [number, number] {
  const d = [(u - K.cx) / K.fx, (v - K.cy) / K.fy, 1];
  // world ray = R_prev d; in the next camera: R_nextᵀ (R_prev d)
  const w = [0, 1, 2].map((r) => prev[r]![0]! * d[0]! + prev[r]![1]! * d[1]! + prev[r]![2]!);
  const c = [0, 1, 2].map(
    (k) => next[0]![k]! * w[0]! + next[1]![k]! * w[1]! + next[2]![k]! * w[2]!,
  );
  if (c[2]! <= 1e-9) return [0, 0];
  return [K.fx * (c[0]! / c[2]!) + K.cx - u, K.fy * (c[1]! / c[2]!) + K.cy - v];
}

type ObjectPose = SceneRecord['objects'][number]['poses'][number];
const samePose = (a: ObjectPose, b: ObjectPose) =>
  a.position.every((v, i) => v === b.position[i]) &&
  a.quaternion.every((v, i) => v === b.quaternion[i]);

/** Whether any object's pose differs between frames f − 1 and f. */
function objectsMoved(rec: SceneRecord, f: number): boolean {
  return rec.objects.some((o) => !samePose(o.poses[f]!, o.poses[f - 1]!));
}

async function renderSequence(rec: SceneRecord, opts: RenderOptions): Promise<RenderTimings> {
  await socketOpen;
  const { width: w, height: h, K } = rec.camera;
  const n = w * h;
  const want = (l: LayerName) => opts.layers.includes(l);
  const needGeometry =
    want('depth') || want('seg') || want('parts') || want('flow') || want('valid');
  const layout = frameLayout(opts.layers, w, h);
  const shared = geometryShared();
  shared.halfSize.value.set(w / 2, h / 2);
  const built: BuiltScene = buildScene(rec, shared);
  renderer.shadowMap.enabled = rec.render.shadows;
  const camera = new PerspectiveCamera(
    rec.camera.fov_y_deg,
    w / h,
    rec.camera.near,
    rec.camera.far,
  );
  camera.matrixAutoUpdate = false;
  const nextCamera = camera.clone();
  // One target per eye and pass: a frame's passes are all issued before any is read back, so
  // the GPU process works through them in one go instead of stalling on six round trips.
  const eyes = ['left', 'right'] as const;
  const makeTargets = () => ({
    rgb: new WebGLRenderTarget(w, h, {
      type: UnsignedByteType,
      colorSpace: SRGBColorSpace,
      samples: rec.render.antialias ? 4 : 0,
    }),
    geometry: new WebGLRenderTarget(w, h, { type: FloatType }),
    normal: new WebGLRenderTarget(w, h, { type: FloatType }),
  });
  const targets = { left: makeTargets(), right: makeTargets() };
  const rgba = new Uint8Array(n * 4);
  const floats = new Float32Array(n * 4);
  const t: RenderTimings = {
    frames: rec.frames,
    render_ms: 0,
    readback_ms: 0,
    pack_ms: 0,
    send_wait_ms: 0,
  };
  const clear = new Color(0, 0, 0);

  const draw = (target: WebGLRenderTarget) => {
    const t0 = now();
    renderer.setRenderTarget(target);
    renderer.render(built.scene, camera);
    t.render_ms += now() - t0;
  };
  const read = <T extends Uint8Array | Float32Array>(
    target: WebGLRenderTarget,
    buf: T,
    size = w,
  ): T => {
    const t0 = now();
    renderer.readRenderTargetPixels(target, 0, 0, size, size === w ? h : 1, buf);
    t.readback_ms += now() - t0;
    return buf;
  };
  const setPoses = (f: number) => {
    for (let i = 0; i < built.objects.length; i++) {
      const pose = rec.objects[i]!.poses[f]!;
      built.objects[i]!.position.set(...pose.position);
      built.objects[i]!.quaternion.set(...pose.quaternion);
    }
    built.scene.updateMatrixWorld(true);
  };

  // Read-back through pixel-pack buffers, one set per frame in flight (two): readPixels into a
  // PBO only queues a copy, so the GPU renders frame f+1 while frame f is fetched, packed and
  // sent. A plain readPixels per pass would stall four times per frame with the GPU then idle.
  const gl = renderer.getContext() as WebGL2RenderingContext;
  const passes: { eye: (typeof eyes)[number]; kind: 'rgb' | 'geometry' | 'normal' }[] = [];
  for (const eye of eyes) {
    if (want('rgb')) passes.push({ eye, kind: 'rgb' });
    if (needGeometry) passes.push({ eye, kind: 'geometry' });
    if (want('normal')) passes.push({ eye, kind: 'normal' });
  }
  const pbos = opts.transfer
    ? [0, 1].map(() =>
        passes.map((p) => {
          const buffer = gl.createBuffer()!;
          gl.bindBuffer(gl.PIXEL_PACK_BUFFER, buffer);
          gl.bufferData(gl.PIXEL_PACK_BUFFER, n * (p.kind === 'rgb' ? 4 : 16), gl.STREAM_READ);
          return buffer;
        }),
      )
    : [];
  gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
  interface InFlight {
    f: number;
    set: WebGLBuffer[];
  }
  let pending: InFlight | null = null;
  const issueReads = (f: number): InFlight => {
    const t0 = now();
    const set = pbos[f % 2]!;
    passes.forEach((p, i) => {
      const target = targets[p.eye][p.kind];
      const fb = (renderer.properties.get(target) as { __webglFramebuffer: WebGLFramebuffer })
        .__webglFramebuffer;
      renderer.state.bindFramebuffer(gl.FRAMEBUFFER, fb);
      gl.bindBuffer(gl.PIXEL_PACK_BUFFER, set[i]!);
      gl.readPixels(0, 0, w, h, gl.RGBA, p.kind === 'rgb' ? gl.UNSIGNED_BYTE : gl.FLOAT, 0);
    });
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
    renderer.setRenderTarget(null);
    gl.flush();
    t.readback_ms += now() - t0;
    return { f, set };
  };
  const fetchPass = <T extends Uint8Array | Float32Array>(buffer: WebGLBuffer, dst: T): T => {
    const t0 = now();
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, buffer);
    // Blocks (without spinning) until this PBO's copy is done; later frames keep rendering.
    gl.getBufferSubData(gl.PIXEL_PACK_BUFFER, 0, dst);
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
    t.readback_ms += now() - t0;
    return dst;
  };
  const collect = async ({ f, set }: InFlight) => {
    const last = f === rec.frames - 1;
    const fNext = last ? f : f + 1;
    const frame = new ArrayBuffer(layout.totalBytes);
    new Uint32Array(frame, 0, 4).set([FRAME_MAGIC, rec.index, f, layout.totalBytes]);
    const slot = (eye: string, layer: LayerName) => {
      const s = layout.slots.find((x) => x.eye === eye && x.layer === layer)!;
      return new Uint8Array(frame, s.offset, s.bytes);
    };
    for (let i = 0; i < passes.length; i++) {
      const { eye, kind } = passes[i]!;
      const poses = rec.camera.world_from_camera[eye];
      if (kind === 'rgb') {
        const px = fetchPass(set[i]!, rgba);
        const t0 = now();
        packRgb(px, slot(eye, 'rgb'), w, h);
        t.pack_ms += now() - t0;
      } else if (kind === 'geometry') {
        const px = fetchPass(set[i]!, floats);
        const t0 = now();
        packGeometry(px, {
          w,
          h,
          far: rec.camera.far,
          depth: want('depth') ? new Float32Array(n) : null,
          flow: want('flow') ? new Float32Array(n * 2) : null,
          seg: want('seg') ? new Uint16Array(n) : null,
          parts: want('parts') ? new Uint8Array(n) : null,
          valid: want('valid') ? new Uint8Array(n) : null,
          skyFlow: last ? null : (u, v) => rotationFlow(poses[f]!, poses[fNext]!, K, u, v),
          write: (layer, bytes) => slot(eye, layer).set(bytes),
        });
        t.pack_ms += now() - t0;
      } else {
        const px = fetchPass(set[i]!, floats);
        const t0 = now();
        const s = slot(eye, 'normal');
        packNormals(px, new Int8Array(s.buffer, s.byteOffset, n * 3), w, h);
        t.pack_ms += now() - t0;
      }
    }
    const t0 = now();
    while (socket.bufferedAmount > MAX_BUFFERED) await sleep(1);
    socket.send(frame);
    t.send_wait_ms += now() - t0;
  };

  try {
    for (let f = 0; f < rec.frames; f++) {
      const last = f === rec.frames - 1;
      const fNext = last ? f : f + 1;
      // Each mesh's pose one frame ahead, for the flow.
      if (needGeometry) {
        setPoses(fNext);
        for (const m of built.meshes) m.geometry.uniforms.nextModel.value.copy(m.mesh.matrixWorld);
      }
      setPoses(f);
      // Once per frame, shared by both eyes, and only when an object moved: the light is fixed,
      // so an unchanged scene gives the same shadow map (camera motion does not change it).
      renderer.shadowMap.needsUpdate = rec.render.shadows && (f === 0 || objectsMoved(rec, f));

      for (const eye of eyes) {
        const poses = rec.camera.world_from_camera[eye];
        setCamera(camera, poses[f]!);
        if (want('rgb')) {
          for (const m of built.meshes) m.mesh.material = m.color;
          await built.backdrop?.(renderer, camera); // splat capture, sorted for this camera
          built.scene.background = built.sky;
          draw(targets[eye].rgb);
        }
        built.scene.background = null;
        renderer.setClearColor(clear, 0);
        if (needGeometry) {
          setCamera(nextCamera, poses[fNext]!);
          shared.nextViewProjection.value.multiplyMatrices(
            nextCamera.projectionMatrix,
            nextCamera.matrixWorldInverse,
          );
          for (const m of built.meshes) m.mesh.material = m.geometry;
          draw(targets[eye].geometry);
        }
        if (want('normal')) {
          built.scene.overrideMaterial = normalMat;
          draw(targets[eye].normal);
          built.scene.overrideMaterial = null;
        }
      }

      if (!opts.transfer) {
        // Render-only benchmark: wait for the GPU (one pixel), move nothing.
        const lastTarget = needGeometry
          ? targets.right.geometry
          : want('normal')
            ? targets.right.normal
            : null;
        if (lastTarget) read(lastTarget, new Float32Array(4), 1);
        else read(targets.right.rgb, new Uint8Array(4), 1);
        continue;
      }

      // Frame f's read-backs are queued on the GPU; frame f−1's are collected while f renders.
      const reading = issueReads(f);
      if (pending) await collect(pending);
      pending = reading;
    }
    if (pending) await collect(pending);
  } finally {
    renderer.setRenderTarget(null);
    for (const eye of eyes) for (const target of Object.values(targets[eye])) target.dispose();
    for (const set of pbos) for (const b of set) gl.deleteBuffer(b);
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
