/** Evaluation: probes, saliency, human alignment, shortcut and shape-bias tests, reports. */
export {
  CLICKME_CEILING,
  alignmentScores,
  blurClickme,
  clickmeReference,
  diceIou,
  isConstant,
  percentileMask,
  resizeBilinear,
  spearman,
  type Map2D,
} from './alignment.ts';
export { evaluateModel, HELD_OUT_FRACTION, type EvaluateOptions } from './evaluate.ts';
export {
  cueOutcomes,
  partsReference,
  scorePartAlignment,
  shapeBiasValue,
  type CueOutcome,
} from './part-alignment.ts';
export {
  acrossSeeds,
  bootstrapInterval,
  differenceInterval,
  meanInterval,
  overlaps,
  type Interval,
} from './bootstrap.ts';
export { slownessFigures, type FeatureSeq, type SlownessFigures } from './slowness.ts';
export { compareModels, defaultName, REPORT_FILE, type CompareOptions } from './compare.ts';
export { EvalMetricsSchema, EVAL_FORMAT, METRICS_FILE, type EvalMetrics } from './metrics.ts';
export { COLUMNS, formatTable, rowOf, toCsv, type CompareRow, type MetricKey } from './table.ts';
export {
  BaselineSchema,
  loadEvalModel,
  type Baseline,
  type EvalModel,
  type ModelDescription,
} from './models.ts';
export { fileLoadHandler, saveLayersModel } from './model-files.ts';
export {
  chooseAlpha,
  fitCvProbe,
  predictRows,
  stratifiedFolds,
  fitProbe,
  probeAccuracy,
  probeHead,
  probeLogits,
  splitIndices,
  kFolds,
  type LinearProbe,
  argmaxRows,
} from './probe.ts';
export { loadProbeSet, type ProbeSet } from './probe-data.ts';
export { saliencyMaps, type SmoothGrad } from './saliency.ts';
export { ssim, ssimPerImage, predictionMetrics } from './prediction.ts';
export { clickmeAlignment, CLICKME_SIZE, CLICKME_FOLDS } from './clickme-eval.ts';
export { scatterSvg, barsSvg } from './plots.ts';
export { reportHtml } from './report.ts';
export { extractFeatures } from './features.ts';
export { nyquistBaseline, nyquistShare } from './spectrum.ts';
