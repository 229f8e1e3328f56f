/**
 * What to draw (Node only, no three.js): the spec (zod) and presets, the sampler that turns
 * (spec, index) into a plain SceneRecord, categories, assets, camera, motion signal and captions.
 */
export { assetBytes, categoryTable, splatBytes } from './assets.ts';
export { lookAtOpenCV, toRowMajor } from './camera.ts';
export { captionScene } from './caption.ts';
export { CATEGORIES } from './categories.ts';
export { parseSpec, resolveSpec } from './load-spec.ts';
export {
  headPoses,
  integrateMotion,
  MOTION_COLUMNS,
  MOTION_GROUPS,
  motionColumnIndices,
  motionSignals,
} from './motion.ts';
export { findPreset, PRESETS } from './presets.ts';
export { homeGround, intrinsics, prepareSampler, sampleScene } from './sampler.ts';
export { type Spec, type SpecInput, SpecSchema } from './spec.ts';
export { type Mat4, type ObjectRecord, type Quat, type SceneRecord } from './types.ts';
