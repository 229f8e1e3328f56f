/** ONNX models in and out: reading/running graphs as tfjs ops, exporting checkpoints. */
export { loadOnnxEvalModel, type Preprocessing } from './eval-model.ts';
export { relErr } from './export-check.ts';
export { exportRun } from './export.ts';
export { decodeModel, metadata } from './proto.ts';
