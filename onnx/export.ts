/**
 * `datadiet export`: a training run's newest checkpoint (or a checkpoint folder) as one .onnx
 * file, written with protobufjs and the same onnx.proto the importer reads. The model's metadata
 * names its inputs, outputs, preprocessing, layer list and training config. Before the file is
 * renamed into place, onnxruntime-node runs it on seeded inputs and its outputs are compared with
 * the tfjs model's: an export that does not reproduce the run is never written.
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DatadietError, packageVersion } from '../core/index.ts';
import { readManifest } from '../output/index.ts';
import {
  latestCheckpoint,
  loadCheckpoint,
  selectBackend,
  type CheckpointMeta,
} from '../training/index.ts';
import type { IoSpec } from './builder.ts';
import { checkExport, type ExportCheck } from './export-check.ts';
import { egomotionGraph, encoderGraph, type ExportGraph, type Weights } from './export-graphs.ts';
import { EXPORT_META as META, PREPROCESSING_KEY, type Preprocessing } from './eval-model.ts';
import { prednetGraph } from './prednet-export.ts';
import { encodeModel } from './proto.ts';

/** Relative tolerance (max |Δ| / max |tfjs|) for the onnxruntime check; measured ~1e-7. */
export const EXPORT_TOLERANCE = 1e-4;

export interface ExportOptions {
  /** A run folder or a checkpoint folder. */
  model: string;
  /** The .onnx file to write. */
  out: string;
  /** tfjs backend for the check (selected once the inputs are known to be usable). */
  backend?: string | undefined;
}

export interface ExportResult {
  file: string;
  checkpoint: string;
  objective: string;
  step: number;
  bytes: number;
  inputs: IoSpec[];
  outputs: IoSpec[];
  check: ExportCheck;
}

async function resolveCheckpoint(path: string): Promise<string> {
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => null,
  );
  if (isDir === null || !isDir) {
    throw new DatadietError('MODEL_NOT_FOUND', `model ${path} is not a folder`, {
      hint: 'pass a run folder (`datadiet train --out`) or one of its checkpoints/step-N folders',
      field: { config: 'export', path: 'model' },
    });
  }
  const own = await stat(resolve(path, 'model.json')).then(
    () => true,
    () => false,
  );
  if (own) return path;
  const latest = await latestCheckpoint(path);
  if (latest === null) {
    throw new DatadietError(
      'MODEL_NOT_FOUND',
      `${path} holds no checkpoint (no checkpoints/step-N)`,
      {
        hint: 'train first (`datadiet train --out DIR`), or pass a checkpoint folder',
      },
    );
  }
  return latest;
}

function graphFor(meta: CheckpointMeta, w: Weights, source: string): ExportGraph {
  switch (meta.objective) {
    case 'sfa':
    case 'sfa-linear':
    case 'supervised':
      return encoderGraph(meta, w, source);
    case 'egomotion':
      return egomotionGraph(meta, w, source);
    case 'prednet':
      return prednetGraph(meta, w, source);
    default:
      throw new DatadietError(
        'EXPORT_FAILED',
        `${source}: objective '${meta.objective}' has no ONNX export`,
        { hint: 'export an sfa, sfa-linear, supervised, egomotion or prednet run' },
      );
  }
}

/** Builds the ONNX bytes of a checkpoint (no check, nothing written). */
export async function buildExport(checkpoint: string) {
  const ck = await loadCheckpoint(checkpoint);
  if (ck.optimizer) tf.dispose(ck.optimizer.map((o) => o.tensor));
  if (ck.adamPowers) tf.dispose(ck.adamPowers.map((o) => o.tensor));
  const meta = ck.meta;
  try {
    const graph = graphFor(meta, ck.weights, checkpoint);
    const size: [number, number] = [meta.shape.height, meta.shape.width];
    const preprocessing: Preprocessing = {
      input_size: size,
      range: 1,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      channel_order: 'rgb',
    };
    const metadata: Record<string, string> = {
      [PREPROCESSING_KEY]: JSON.stringify(preprocessing),
      'datadiet.input_layout': `NCHW float32, RGB in [0, 1], ${size[0]}×${size[1]} px (resize your images to this size; no mean/std)`,
      'datadiet.inputs': JSON.stringify(graph.inputs),
      'datadiet.outputs': JSON.stringify(graph.outputs),
      'datadiet.layers': JSON.stringify(graph.layers),
      'datadiet.objective': meta.objective,
      'datadiet.step': String(meta.step),
      'datadiet.train_config': JSON.stringify(meta.config),
      'datadiet.num_classes': String(meta.shape.numClasses),
      ...(graph.features ? { [META.features]: graph.features } : {}),
      ...(graph.logits ? { [META.logits]: graph.logits } : {}),
      ...(graph.features
        ? { [META.imageInputs]: JSON.stringify(graph.inputs.map((i) => i.name)) }
        : {}),
      ...graph.metadata,
    };
    if (graph.logits) {
      const names = await categoryNames(checkpoint, meta.shape.numClasses);
      if (names) metadata['datadiet.categories'] = JSON.stringify(names);
    }
    const version = await packageVersion();
    const model = graph.builder.model({
      name: `datadiet-${meta.objective}`,
      inputs: graph.inputs,
      outputs: graph.outputs,
      doc: `datadiet ${version} ${meta.objective} run, step ${meta.step}`,
      metadata,
      producerVersion: version,
    });
    return { bytes: encodeModel(model), meta, graph };
  } finally {
    tf.dispose(Object.values(ck.weights));
  }
}

/**
 * The category names of the logits, from the manifest of the dataset the run trained on (run.json
 * names it); undefined when that dataset is not at hand (the logits follow category_index).
 */
async function categoryNames(checkpoint: string, n: number): Promise<string[] | undefined> {
  try {
    const runDir = dirname(dirname(resolve(checkpoint)));
    const run = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { data?: unknown };
    if (typeof run.data !== 'string') return undefined;
    const m = await readManifest(resolve(run.data));
    const names: string[] = [];
    for (const c of m.categories ?? []) names[c.index] = c.name;
    return names.length === n && names.every((x) => typeof x === 'string') ? names : undefined;
  } catch {
    return undefined;
  }
}

/** Temp files (`OUT.tmp-PID`) that a killed export left: those of processes that are gone. */
async function removeStaleTemps(out: string): Promise<void> {
  const prefix = `${basename(out)}.tmp-`;
  for (const name of await readdir(dirname(out))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid)) continue;
    if (pid !== process.pid && isAlive(pid)) continue; // another export is writing it now
    await rm(join(dirname(out), name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function exportRun(o: ExportOptions): Promise<ExportResult> {
  const out = resolve(o.out);
  if (
    await stat(out).then(
      (s) => s.isDirectory(),
      () => false,
    )
  ) {
    throw new DatadietError('CONFIG_INVALID', `out ${o.out} is a folder`, {
      hint: 'name the .onnx file to write, e.g. model.onnx',
      field: { config: 'export', path: 'out' },
    });
  }
  const checkpoint = await resolveCheckpoint(o.model);
  if (o.backend !== undefined) await selectBackend(o.backend);
  const { bytes, meta, graph } = await buildExport(checkpoint);
  const check = await checkExport({ bytes, checkpoint, meta, inputs: graph.inputs });
  if (!(check.maxRelErr <= EXPORT_TOLERANCE)) {
    throw new DatadietError(
      'EXPORT_FAILED',
      `${checkpoint}: onnxruntime's outputs differ from the tfjs model's by ${check.maxRelErr.toExponential(2)} (relative; tolerance ${EXPORT_TOLERANCE}) in ${check.worst}`,
      { hint: 'this is a datadiet bug: please report it with the run’s config.json' },
    );
  }
  try {
    await mkdir(dirname(out), { recursive: true });
    await removeStaleTemps(out);
    const tmp = `${out}.tmp-${process.pid}`;
    await writeFile(tmp, bytes);
    await rename(tmp, out);
  } catch (e) {
    throw new DatadietError('OUT_DIR_UNWRITABLE', `cannot write ${out}: ${(e as Error).message}`, {
      hint: 'choose an --out path in a writable folder with free space',
      cause: e,
    });
  }
  return {
    file: out,
    checkpoint,
    objective: meta.objective,
    step: meta.step,
    bytes: bytes.byteLength,
    inputs: graph.inputs,
    outputs: graph.outputs,
    check,
  };
}
