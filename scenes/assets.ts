/**
 * User glTF/GLB assets on the Node side, without a DOM: read the file (GLB chunks or glTF JSON
 * with external or data-URI buffers), walk the default scene's node tree, and read every mesh's
 * POSITION accessor for the bounding box and the convex-hull points physics needs. The page draws
 * the same bytes with three's GLTFLoader; `shipBytes` is a self-contained GLB (external buffers and
 * images inlined as data URIs) so the page never fetches anything.
 */
// One file per job under assets/: the GLB container (glb.ts), the self-contained form
// (self-contained.ts), node tree and accessors (geometry.ts), the read-once caches (cache.ts),
// loading (load.ts), categories and normalisation (normalise.ts), splat captures (splats.ts).

export { packGlb, unpackGlb } from './assets/glb.ts';
export { assetBytes, assetFiles, loadAssetFile, type LoadedAsset } from './assets/load.ts';
export { categorySize, categoryTable, placeAsset } from './assets/normalise.ts';
export { loadSplatFile, splatBytes } from './assets/splats.ts';
