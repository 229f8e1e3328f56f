/**
 * User glTF assets in the page. Node ships each asset's self-contained GLB once per page (uploaded
 * in base64 chunks, then `window.datadietAssets.putGltf`, keyed by sha256); GLTFLoader parses it
 * here, with no network and no file:// access. `buildScene` then clones the parsed scene.
 */
import { DoubleSide, type Material, type Mesh, type Object3D } from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { takeUpload, uploadChunk } from './base64.ts';
import { hasSpark, hasSplat, loadSpark, putSplat } from './splat-backdrop.ts';

const gltfScenes = new Map<string, Object3D>();

async function putGltf(sha256: string): Promise<void> {
  const bytes = takeUpload(sha256);
  if (gltfScenes.has(sha256)) return;
  const gltf = await new GLTFLoader().parseAsync(bytes.buffer as ArrayBuffer, '');
  gltf.scene.traverse((o) => {
    // Keep the glTF node index on the object: clones copy userData, and the diagnostic part is
    // named by node indices (Node computed them from the same file).
    const a = gltf.parser.associations.get(o);
    if (a?.nodes !== undefined) o.userData.gltfNode = a.nodes;
    const mesh = o as Mesh;
    if (mesh.isMesh) {
      // Every pass draws both faces, so rgb shows the same surfaces as depth and seg.
      const mats = Array.isArray(mesh.material) ? mesh.material : [mesh.material];
      for (const m of mats as Material[]) m.side = DoubleSide;
    }
  });
  gltfScenes.set(sha256, gltf.scene);
}

/** A fresh instance of a shipped asset (geometry and materials shared with the cache: never dispose). */
export function assetInstance(sha256: string): Object3D {
  const s = gltfScenes.get(sha256);
  if (!s) throw new Error(`asset ${sha256.slice(0, 12)} was not shipped to the page`);
  return s.clone(true);
}

/** The glTF node an object belongs to (a multi-primitive mesh's meshes sit under their node). */
export function gltfNodeOf(o: Object3D): number | undefined {
  for (let p: Object3D | null = o; p; p = p.parent) {
    const n = p.userData.gltfNode as number | undefined;
    if (n !== undefined) return n;
  }
  return undefined;
}

declare global {
  interface Window {
    datadietAssets: {
      has(sha256: string): boolean;
      upload(key: string, total: number, offset: number, b64: string): void;
      /** Parse the bytes uploaded under this sha256. */
      putGltf(sha256: string): Promise<void>;
      putSplat(sha256: string, format: string): Promise<void>;
      hasSpark(): boolean;
      loadSpark(code: string): Promise<void>;
    };
  }
}

window.datadietAssets = {
  has: (sha256) => gltfScenes.has(sha256) || hasSplat(sha256),
  upload: uploadChunk,
  putGltf,
  putSplat,
  hasSpark,
  loadSpark,
};
