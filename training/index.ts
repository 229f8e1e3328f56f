/** Training: data loading, backends, objectives (SFA, PredNet, supervised), runs, checkpoints. */
export {
  BACKEND_NAMES,
  selectBackend,
  type BackendChoice,
  type BackendName,
  SOFTWARE_GPU_ENV,
  SWIFTSHADER_VULKAN_ENV,
} from './backend.ts';
export {
  bilinearAxisMatrix,
  registerResizeGradient,
  resizeBilinearInputGrad,
} from './resize-gradient.ts';
export { resizeTo } from './resize-input.ts';
export {
  GRADIENT_KERNELS,
  registerGradientKernels,
  conv2dBackpropFilterViaConv,
} from './wasm-kernels.ts';
export {
  createLoader,
  disposeBatch,
  readDataInfo,
  sequenceLabel,
  LoaderOptionsSchema,
  type Batch,
  type DataInfo,
  type Loader,
  type LoaderOptions,
} from './loader.ts';
export { Params, type Init } from './params.ts';
export {
  createEncoder,
  channelsOf,
  EncoderConfigSchema,
  type Encoder,
  type EncoderConfig,
} from './encoder.ts';
export { blurPool, BLUR_TAPS } from './blur-pool.ts';
export {
  TrainConfigSchema,
  SfaConfigSchema,
  PrednetConfigSchema,
  type TrainConfig,
  type TrainConfigInput,
} from './config.ts';
export type { Objective, ObjectiveModel, ModelShape, LoaderNeeds } from './objective.ts';
export { OBJECTIVES, findObjective } from './objectives/index.ts';
export {
  createPrednet,
  nextFrameMse,
  layerWeights,
  type PrednetModel,
} from './objectives/prednet.ts';
export {
  createEgomotion,
  stackPairs,
  targetColumns,
  type EgomotionModel,
} from './objectives/egomotion.ts';
export { checkpointStats, whitening } from './objectives/sfa.ts';
export {
  fitLinearSfa,
  slownessStats,
  symmetricEigen,
  type FeatureSequence,
  type LinearSfa,
  type SlownessStats,
} from './sfa-linear.ts';
export { sequenceFeatures } from './features.ts';
export {
  saveCheckpoint,
  loadCheckpoint,
  latestCheckpoint,
  assignWeights,
  CHECKPOINT_FORMAT,
  type CheckpointMeta,
  type LoadedCheckpoint,
} from './checkpoint.ts';
export { lossCurveSvg } from './curve.ts';
export { METRICS_FILE, readRunMetrics, type RunMetric } from './run-metrics.ts';
export {
  train,
  buildModel,
  loadModel,
  CURVE_FILE,
  type TrainOptions,
  type TrainResult,
  type StepInfo,
} from './train.ts';
export { streamSource } from './stream-source.ts';
