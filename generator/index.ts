/**
 * How to draw it: Chromium + three.js renders SceneRecords; the dataset loop (`generateDataset`),
 * on-demand streaming for `train --stream`, manifests, and the browser/renderer choice.
 */
export { chooseGl, findBrowser, launchBrowser, probeRenderer } from './browser.ts';
export { buildManifest, datasetFingerprint, FORMAT_VERSION } from './dataset-meta.ts';
export { FrameServer } from './frame-server.ts';
export { generateDataset, type GenerateEvent, type GenerateOptions } from './generate.ts';
export {
  type ConcreteGl,
  describeRenderer,
  GL_MODES,
  glMismatch,
  type GlMode,
  honours,
  type RendererRecord,
} from './gl.ts';
export { mergeManifest } from './merge.ts';
export { RenderWorker } from './render-worker.ts';
export { StreamCache } from './stream-cache.ts';
export { renderSequences, type RenderStreamOptions, type StreamEvent } from './stream.ts';
