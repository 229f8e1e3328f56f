/**
 * One sequence on the page: the per-sequence state (scene, cameras, render targets, pixel-pack
 * buffers, timings) and the frame loop's steps: draw a frame for both eyes, queue its read-backs,
 * collect and send the previous frame, or (render-only benchmark) just wait for the GPU.
 */
import {
  Color,
  FloatType,
  Matrix4,
  PerspectiveCamera,
  SRGBColorSpace,
  UnsignedByteType,
  WebGLRenderTarget,
  type Material,
  type WebGLRenderer,
} from 'three';
import type { LayerName } from '../../output/layers.ts';
import type { Mat4, SceneRecord } from '../../scenes/types.ts';
import { FRAME_MAGIC, frameLayout } from '../frame-layout.ts';
import { packGeometry, packNormals, packRgb, rotationFlow } from './pack.ts';
import { geometryShared } from './pass-materials.ts';
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

/** What the page holds for every sequence: one renderer, one socket, one normal material. */
export interface PageContext {
  renderer: WebGLRenderer;
  socket: WebSocket;
  normalMat: Material;
}

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

type ObjectPose = SceneRecord['objects'][number]['poses'][number];
const samePose = (a: ObjectPose, b: ObjectPose) =>
  a.position.every((v, i) => v === b.position[i]) &&
  a.quaternion.every((v, i) => v === b.quaternion[i]);

/** Whether any object's pose differs between frames f − 1 and f. */
function objectsMoved(rec: SceneRecord, f: number): boolean {
  return rec.objects.some((o) => !samePose(o.poses[f]!, o.poses[f - 1]!));
}

const EYES = ['left', 'right'] as const;
type Eye = (typeof EYES)[number];
type PassKind = 'rgb' | 'geometry' | 'normal';

/** A frame whose read-backs are queued in its set of pixel-pack buffers. */
export interface InFlight {
  f: number;
  set: WebGLBuffer[];
}

export class SequenceRender {
  readonly timings: RenderTimings;
  private readonly w: number;
  private readonly h: number;
  private readonly n: number;
  private readonly needGeometry: boolean;
  private readonly layout: ReturnType<typeof frameLayout>;
  private readonly shared: ReturnType<typeof geometryShared>;
  private readonly built: BuiltScene;
  private readonly camera: PerspectiveCamera;
  private readonly nextCamera: PerspectiveCamera;
  private readonly targets: Record<Eye, Record<PassKind, WebGLRenderTarget>>;
  private readonly rgba: Uint8Array;
  private readonly floats: Float32Array;
  private readonly clear = new Color(0, 0, 0);
  private readonly gl: WebGL2RenderingContext;
  private readonly passes: { eye: Eye; kind: PassKind }[] = [];
  private readonly pbos: WebGLBuffer[][];

  constructor(
    private readonly page: PageContext,
    private readonly rec: SceneRecord,
    private readonly opts: RenderOptions,
  ) {
    const { renderer } = page;
    const { width: w, height: h } = rec.camera;
    this.w = w;
    this.h = h;
    this.n = w * h;
    this.needGeometry =
      this.want('depth') ||
      this.want('seg') ||
      this.want('parts') ||
      this.want('flow') ||
      this.want('valid');
    this.layout = frameLayout(opts.layers, w, h);
    this.shared = geometryShared();
    this.shared.halfSize.value.set(w / 2, h / 2);
    this.built = buildScene(rec, this.shared);
    renderer.shadowMap.enabled = rec.render.shadows;
    this.camera = new PerspectiveCamera(
      rec.camera.fov_y_deg,
      w / h,
      rec.camera.near,
      rec.camera.far,
    );
    this.camera.matrixAutoUpdate = false;
    this.nextCamera = this.camera.clone();
    // One target per eye and pass: a frame's passes are all issued before any is read back, so
    // the GPU process works through them in one go instead of stalling on six round trips.
    const makeTargets = () => ({
      rgb: new WebGLRenderTarget(w, h, {
        type: UnsignedByteType,
        colorSpace: SRGBColorSpace,
        samples: rec.render.antialias ? 4 : 0,
      }),
      geometry: new WebGLRenderTarget(w, h, { type: FloatType }),
      normal: new WebGLRenderTarget(w, h, { type: FloatType }),
    });
    this.targets = { left: makeTargets(), right: makeTargets() };
    this.rgba = new Uint8Array(this.n * 4);
    this.floats = new Float32Array(this.n * 4);
    this.timings = {
      frames: rec.frames,
      render_ms: 0,
      readback_ms: 0,
      pack_ms: 0,
      send_wait_ms: 0,
    };
    // Read-back through pixel-pack buffers, one set per frame in flight (two): readPixels into a
    // PBO only queues a copy, so the GPU renders frame f+1 while frame f is fetched, packed and
    // sent. A plain readPixels per pass would stall four times per frame with the GPU then idle.
    const gl = renderer.getContext() as WebGL2RenderingContext;
    this.gl = gl;
    for (const eye of EYES) {
      if (this.want('rgb')) this.passes.push({ eye, kind: 'rgb' });
      if (this.needGeometry) this.passes.push({ eye, kind: 'geometry' });
      if (this.want('normal')) this.passes.push({ eye, kind: 'normal' });
    }
    this.pbos = opts.transfer
      ? [0, 1].map(() =>
          this.passes.map((p) => {
            const buffer = gl.createBuffer()!;
            gl.bindBuffer(gl.PIXEL_PACK_BUFFER, buffer);
            gl.bufferData(
              gl.PIXEL_PACK_BUFFER,
              this.n * (p.kind === 'rgb' ? 4 : 16),
              gl.STREAM_READ,
            );
            return buffer;
          }),
        )
      : [];
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
  }

  private want(l: LayerName): boolean {
    return this.opts.layers.includes(l);
  }

  /** Frame f's passes for both eyes, each into its own target (nothing read back yet). */
  async drawFrame(f: number): Promise<void> {
    const { rec, built } = this;
    const { renderer } = this.page;
    const last = f === rec.frames - 1;
    const fNext = last ? f : f + 1;
    // Each mesh's pose one frame ahead, for the flow.
    if (this.needGeometry) {
      this.setPoses(fNext);
      for (const m of built.meshes) m.geometry.uniforms.nextModel.value.copy(m.mesh.matrixWorld);
    }
    this.setPoses(f);
    // Once per frame, shared by both eyes, and only when an object moved: the light is fixed,
    // so an unchanged scene gives the same shadow map (camera motion does not change it).
    renderer.shadowMap.needsUpdate = rec.render.shadows && (f === 0 || objectsMoved(rec, f));

    for (const eye of EYES) {
      const poses = rec.camera.world_from_camera[eye];
      setCamera(this.camera, poses[f]!);
      if (this.want('rgb')) {
        for (const m of built.meshes) m.mesh.material = m.color;
        await built.backdrop?.(renderer, this.camera); // splat capture, sorted for this camera
        built.scene.background = built.sky;
        this.draw(this.targets[eye].rgb);
      }
      built.scene.background = null;
      renderer.setClearColor(this.clear, 0);
      if (this.needGeometry) {
        setCamera(this.nextCamera, poses[fNext]!);
        this.shared.nextViewProjection.value.multiplyMatrices(
          this.nextCamera.projectionMatrix,
          this.nextCamera.matrixWorldInverse,
        );
        for (const m of built.meshes) m.mesh.material = m.geometry;
        this.draw(this.targets[eye].geometry);
      }
      if (this.want('normal')) {
        built.scene.overrideMaterial = this.page.normalMat;
        this.draw(this.targets[eye].normal);
        built.scene.overrideMaterial = null;
      }
    }
  }

  /** Render-only benchmark: wait for the GPU (one pixel), move nothing. */
  waitForGpu(): void {
    const { targets } = this;
    const lastTarget = this.needGeometry
      ? targets.right.geometry
      : this.want('normal')
        ? targets.right.normal
        : null;
    if (lastTarget) this.read(lastTarget, new Float32Array(4), 1);
    else this.read(targets.right.rgb, new Uint8Array(4), 1);
  }

  /** Queues frame f's read-backs into its pixel-pack buffers; the GPU copies while f+1 renders. */
  issueReads(f: number): InFlight {
    const { gl, w, h } = this;
    const renderer = this.page.renderer;
    const t0 = now();
    const set = this.pbos[f % 2]!;
    this.passes.forEach((p, i) => {
      const target = this.targets[p.eye][p.kind];
      const fb = (renderer.properties.get(target) as { __webglFramebuffer: WebGLFramebuffer })
        .__webglFramebuffer;
      renderer.state.bindFramebuffer(gl.FRAMEBUFFER, fb);
      gl.bindBuffer(gl.PIXEL_PACK_BUFFER, set[i]!);
      gl.readPixels(0, 0, w, h, gl.RGBA, p.kind === 'rgb' ? gl.UNSIGNED_BYTE : gl.FLOAT, 0);
    });
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
    renderer.setRenderTarget(null);
    gl.flush();
    this.timings.readback_ms += now() - t0;
    return { f, set };
  }

  /** Fetches a queued frame's passes, packs each layer into its slot and sends the frame. */
  async collect({ f, set }: InFlight): Promise<void> {
    const { rec, layout, w, h, n, timings: t } = this;
    const last = f === rec.frames - 1;
    const fNext = last ? f : f + 1;
    const frame = new ArrayBuffer(layout.totalBytes);
    new Uint32Array(frame, 0, 4).set([FRAME_MAGIC, rec.index, f, layout.totalBytes]);
    const slot = (eye: string, layer: LayerName) => {
      const s = layout.slots.find((x) => x.eye === eye && x.layer === layer)!;
      return new Uint8Array(frame, s.offset, s.bytes);
    };
    for (let i = 0; i < this.passes.length; i++) {
      const { eye, kind } = this.passes[i]!;
      const poses = rec.camera.world_from_camera[eye];
      if (kind === 'rgb') {
        const px = this.fetchPass(set[i]!, this.rgba);
        const t0 = now();
        packRgb(px, slot(eye, 'rgb'), w, h);
        t.pack_ms += now() - t0;
      } else if (kind === 'geometry') {
        const px = this.fetchPass(set[i]!, this.floats);
        const t0 = now();
        packGeometry(px, {
          w,
          h,
          far: rec.camera.far,
          depth: this.want('depth') ? new Float32Array(n) : null,
          flow: this.want('flow') ? new Float32Array(n * 2) : null,
          seg: this.want('seg') ? new Uint16Array(n) : null,
          parts: this.want('parts') ? new Uint8Array(n) : null,
          valid: this.want('valid') ? new Uint8Array(n) : null,
          skyFlow: last
            ? null
            : (u, v) => rotationFlow(poses[f]!, poses[fNext]!, rec.camera.K, u, v),
          write: (layer, bytes) => slot(eye, layer).set(bytes),
        });
        t.pack_ms += now() - t0;
      } else {
        const px = this.fetchPass(set[i]!, this.floats);
        const t0 = now();
        const s = slot(eye, 'normal');
        packNormals(px, new Int8Array(s.buffer, s.byteOffset, n * 3), w, h);
        t.pack_ms += now() - t0;
      }
    }
    const t0 = now();
    const socket = this.page.socket;
    while (socket.bufferedAmount > MAX_BUFFERED) await sleep(1);
    socket.send(frame);
    t.send_wait_ms += now() - t0;
  }

  /** Frees the targets, the pixel-pack buffers and the scene's GPU resources. */
  dispose(): void {
    this.page.renderer.setRenderTarget(null);
    for (const eye of EYES) for (const target of Object.values(this.targets[eye])) target.dispose();
    for (const set of this.pbos) for (const b of set) this.gl.deleteBuffer(b);
    this.built.dispose();
  }

  private draw(target: WebGLRenderTarget): void {
    const { renderer } = this.page;
    const t0 = now();
    renderer.setRenderTarget(target);
    renderer.render(this.built.scene, this.camera);
    this.timings.render_ms += now() - t0;
  }

  private read<T extends Uint8Array | Float32Array>(
    target: WebGLRenderTarget,
    buf: T,
    size = this.w,
  ): T {
    const t0 = now();
    this.page.renderer.readRenderTargetPixels(
      target,
      0,
      0,
      size,
      size === this.w ? this.h : 1,
      buf,
    );
    this.timings.readback_ms += now() - t0;
    return buf;
  }

  private setPoses(f: number): void {
    const { built, rec } = this;
    for (let i = 0; i < built.objects.length; i++) {
      const pose = rec.objects[i]!.poses[f]!;
      built.objects[i]!.position.set(...pose.position);
      built.objects[i]!.quaternion.set(...pose.quaternion);
    }
    built.scene.updateMatrixWorld(true);
  }

  /** Blocks (without spinning) until this PBO's copy is done; later frames keep rendering. */
  private fetchPass<T extends Uint8Array | Float32Array>(buffer: WebGLBuffer, dst: T): T {
    const { gl } = this;
    const t0 = now();
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, buffer);
    gl.getBufferSubData(gl.PIXEL_PACK_BUFFER, 0, dst);
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
    this.timings.readback_ms += now() - t0;
    return dst;
  }
}
