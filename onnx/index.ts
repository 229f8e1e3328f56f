/** ONNX in and out: `exportRun` writes a checkpoint as ONNX; an ONNX classifier as an EvalModel. */
export { loadOnnxEvalModel, type Preprocessing } from './eval-model.ts';
export { relErr } from './export-check.ts';
export { exportRun, type ExportOptions } from './export.ts';
export { decodeModel, metadata } from './proto.ts';
