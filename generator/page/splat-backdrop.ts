/**
 * Captured environments as 3D Gaussian splats, drawn with Spark (@sparkjsdev/spark) into an
 * off-screen target that the colour pass uses as its background: splats sit behind every object
 * (a backdrop), so rgb never shows a splat in front of a pixel that seg gives to an object. The
 * geometry passes never see splats: seg and parts are 0 there and depth holds the far value.
 *
 * Determinism: Spark sorts splats in a web worker. Its automatic per-frame update is off; the page
 * awaits `spark.update` (regenerate and sort for this camera), so the picture never depends on how
 * far an asynchronous sort had got. Sorting is the cost (~20 µs per splat on SwiftShader), so a
 * camera within RESORT_M and RESORT_COS of the last sorted view (the other eye of a stereo pair)
 * reuses that order; each sequence starts with a fresh sort, so a sequence depends only on itself.
 */
import * as THREE from 'three';
import {
  Color,
  HalfFloatType,
  LinearSRGBColorSpace,
  type PerspectiveCamera,
  Scene,
  Vector3,
  type WebGLRenderer,
  WebGLRenderTarget,
} from 'three';
import type { SplatRecord } from '../../scenes/types.ts';
import { takeUpload } from './base64.ts';

type Spark = typeof import('@sparkjsdev/spark');
type SplatMesh = InstanceType<Spark['SplatMesh']>;
type SparkRenderer = InstanceType<Spark['SparkRenderer']>;

// Spark (~3 MB, starts WebAssembly when evaluated) is not in the page bundle: Node ships it as a
// module (generator/spark-bundle.ts) to pages that draw splats, and it uses this page's three.js.
(globalThis as { __datadietThree?: unknown }).__datadietThree = THREE;
let sparkModule: Spark | undefined;

export const hasSpark = () => sparkModule !== undefined;

export async function loadSpark(code: string): Promise<void> {
  if (sparkModule) return;
  const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
  try {
    sparkModule = (await import(/* @vite-ignore */ url)) as Spark;
  } finally {
    URL.revokeObjectURL(url);
  }
}

const spark = async (): Promise<Spark> => {
  if (!sparkModule) throw new Error('Spark was not shipped to the page');
  return sparkModule;
};

const meshes = new Map<string, SplatMesh>();

export const hasSplat = (sha256: string) => meshes.has(sha256);

/** Decodes a shipped splat file once per page (kept for every later sequence). */
export async function putSplat(sha256: string, format: string): Promise<void> {
  const fileBytes = takeUpload(sha256);
  if (meshes.has(sha256)) return;
  const { SplatMesh, SplatFileType } = await spark();
  const fileType = { ply: SplatFileType.PLY, splat: SplatFileType.SPLAT, spz: SplatFileType.SPZ }[
    format
  ];
  if (!fileType) throw new Error(`unknown splat format ${format}`);
  const mesh = new SplatMesh({ fileBytes, fileType });
  await mesh.initialized;
  meshes.set(sha256, mesh);
}

export interface SplatBackdrop {
  /** The colour pass's background: the splats seen from the current camera, over the sky colour. */
  target: WebGLRenderTarget;
  /** Renders the splats for this camera into `target` (await it before the colour pass). */
  render(renderer: WebGLRenderer, camera: PerspectiveCamera): Promise<void>;
  dispose(): void;
}

const RESORT_M = 0.1;
const RESORT_COS = Math.cos((2 * Math.PI) / 180);

let renderers: { renderer: WebGLRenderer; spark: SparkRenderer } | undefined;

/** Where splat time goes (read by benchmarks): Spark's generate + sort, and the raster pass. */
export const splatStats = { renders: 0, sorts: 0, update_ms: 0, draw_ms: 0 };
(globalThis as { datadietSplatStats?: typeof splatStats }).datadietSplatStats = splatStats;

export function splatBackdrop(opts: {
  rec: SplatRecord;
  width: number;
  height: number;
  sky: Color;
}): SplatBackdrop {
  const mesh = meshes.get(opts.rec.sha256);
  if (!mesh) throw new Error(`splat ${opts.rec.sha256.slice(0, 12)} was not shipped to the page`);
  mesh.position.set(...opts.rec.position);
  mesh.quaternion.set(...opts.rec.quaternion);
  mesh.scale.setScalar(opts.rec.scale);
  const scene = new Scene();
  scene.background = opts.sky;
  scene.add(mesh);
  // Float target with linear colour: the colour pass converts to sRGB once, like any other surface.
  const target = new WebGLRenderTarget(opts.width, opts.height, { type: HalfFloatType });
  target.texture.colorSpace = LinearSRGBColorSpace;
  let sorted: { position: Vector3; direction: Vector3 } | undefined;
  const position = new Vector3();
  const direction = new Vector3();
  return {
    target,
    async render(renderer, camera) {
      const { SparkRenderer } = await spark();
      if (renderers?.renderer !== renderer) {
        renderers = {
          renderer,
          spark: new SparkRenderer({ renderer, autoUpdate: false, enableLod: false }),
        };
      }
      const sr = renderers.spark;
      if (sr.parent !== scene) scene.add(sr);
      scene.updateMatrixWorld(true);
      const t0 = performance.now();
      camera.getWorldPosition(position);
      camera.getWorldDirection(direction);
      if (
        !sorted ||
        sorted.position.distanceTo(position) > RESORT_M ||
        sorted.direction.dot(direction) < RESORT_COS
      ) {
        await sr.update({ scene, camera });
        sorted = { position: position.clone(), direction: direction.clone() };
        splatStats.sorts++;
      }
      const t1 = performance.now();
      const previous = renderer.getRenderTarget();
      renderer.setRenderTarget(target);
      renderer.render(scene, camera);
      // Wait for the GPU here so the time is charged to the splats, not to the next readback.
      renderer.getContext().finish();
      renderer.setRenderTarget(previous);
      splatStats.renders++;
      splatStats.update_ms += t1 - t0;
      splatStats.draw_ms += performance.now() - t1;
    },
    dispose() {
      scene.remove(mesh);
      if (renderers) scene.remove(renderers.spark);
      target.dispose();
    },
  };
}
