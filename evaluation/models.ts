/**
 * Everything evaluation can score, behind one interface: a datadiet training run (its newest
 * checkpoint, or a checkpoint folder) or an external tfjs LayersModel/GraphModel described by a
 * baseline JSON with its preprocessing. Models take frames [N, H, W, 3] in [0, 1] at the data's
 * resolution and resize inside, so saliency comes out at the data's resolution.
 */
import { createHash } from 'node:crypto';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { cachedDownload, isUrl, DatadietError } from '../core/index.ts';
import { loadOnnxEvalModel, type Preprocessing } from '../onnx/index.ts';
import { latestCheckpoint, loadModel, resizeTo } from '../training/index.ts';
import { fileLoadHandler } from './model-files.ts';
import { PREDNET_READOUT_FRAMES, prednetRFeatures } from './prednet-readout.ts';

export const BaselineSchema = z.strictObject({
  name: z.string().min(1),
  /** model.json or .onnx path (relative to the descriptor) or an http(s) URL. */
  model: z.string().min(1),
  /** Default: `onnx` when `model` ends in .onnx, else `layers`. */
  format: z.enum(['layers', 'graph', 'onnx']).optional(),
  /** Expected sha256 of a downloaded file (ONNX, or a tfjs model.json). */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .optional(),
  /** Side (square) or [height, width] the model expects. */
  input_size: z.union([
    z.number().int().min(1),
    z.tuple([z.number().int().min(1), z.number().int().min(1)]),
  ]),
  /** Pixel range fed to the model before mean/std: 1 → [0, 1], 255 → [0, 255]. */
  range: z.union([z.literal(1), z.literal(255)]).default(1),
  mean: z.tuple([z.number(), z.number(), z.number()]).default([0, 0, 0]),
  std: z
    .tuple([z.number().positive(), z.number().positive(), z.number().positive()])
    .default([1, 1, 1]),
  channel_order: z.enum(['rgb', 'bgr']).default('rgb'),
  /** Layer (LayersModel) or node (GraphModel) whose output is used; default: the model output. */
  output: z.string().min(1).optional(),
  /** True when that output is class logits (an own head); false for features. */
  logits: z.boolean().default(false),
});
export type Baseline = z.infer<typeof BaselineSchema>;

export interface ModelDescription {
  name: string;
  kind: 'run' | 'baseline';
  path: string;
  objective?: string | undefined;
  step?: number | undefined;
  format?: 'layers' | 'graph' | 'onnx' | undefined;
  input_size: [number, number];
  /** What an external model is fed (size, range, mean/std, channel order). */
  preprocessing?: Preprocessing | undefined;
  /** What the probe reads. */
  features: string;
  /** How that output becomes one vector per image. */
  pooling: string;
  /** Logit count of the model's own head, when it has one. */
  own_head_classes?: number | undefined;
}

export interface EvalModel {
  description: ModelDescription;
  /** sha256 of what defines the weights, for resume keys. */
  identity: string;
  /** frames [N, H, W, 3] in [0, 1] → features [N, D] (differentiable). */
  features(x: tf.Tensor4D): tf.Tensor2D;
  /** The model's own class logits, when it has a head. */
  logits?: ((x: tf.Tensor4D) => tf.Tensor2D) | undefined;
  /** Next-frame predictions (PredNet runs), clips [B, T, h, w, 3] at the model's input size. */
  predictFrames?: ((frames: tf.Tensor5D) => tf.Tensor4D[]) | undefined;
  dispose(): void;
}

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** What `toFeatures` does to an output of this rank (unknown for GraphModels until run). */
function poolingOf(rank: number | undefined): string {
  if (rank === 2) return 'none (a vector per image)';
  if (rank === 4) return 'global average over the H×W map';
  if (rank === undefined) return 'global average over H×W for a 4-D output, else flattened';
  return 'flattened';
}

/** A feature map [N, h, w, C] is average-pooled; anything else is flattened. */
function toFeatures(t: tf.Tensor): tf.Tensor2D {
  if (t.rank === 2) return t as tf.Tensor2D;
  if (t.rank === 4) return tf.mean(t, [1, 2]) as tf.Tensor2D;
  return t.reshape([t.shape[0]!, -1]) as tf.Tensor2D;
}

async function exists(p: string) {
  return stat(p).then(
    (s) => s,
    () => null,
  );
}

export interface LoadModelOptions {
  /** Node/value (ONNX) or layer/node (tfjs baseline) the probe reads, overriding the default. */
  features?: string | undefined;
}

/**
 * Loads a run folder, a checkpoint folder, a baseline descriptor (.json file), an .onnx file, or
 * an http(s) URL of an .onnx file or tfjs model.json (downloaded once into the cache).
 */
export async function loadEvalModel(path: string, opts: LoadModelOptions = {}): Promise<EvalModel> {
  if (isUrl(path)) {
    const local = await cachedModel(path, undefined);
    return /\.onnx$/i.test(local)
      ? loadOnnxEvalModel({ file: local, name: urlName(path), path, features: opts.features })
      : loadBaseline(await urlDescriptor(path, local), opts);
  }
  if (/\.onnx$/i.test(path) && (await exists(path))?.isFile()) {
    return loadOnnxEvalModel({
      file: path,
      name: basename(path).replace(/\.onnx$/i, ''),
      path: resolve(path),
      features: opts.features,
    });
  }
  const st = await exists(path);
  if (st === null) {
    throw new DatadietError('MODEL_NOT_FOUND', `model ${path} does not exist`, {
      hint: 'pass a run folder (`datadiet train --out`), a checkpoint folder, or a baseline JSON descriptor',
      field: { config: 'evaluate', path: 'model' },
    });
  }
  if (st.isFile()) return loadBaseline(path, opts);
  if (opts.features !== undefined) {
    throw new DatadietError(
      'CONFIG_INVALID',
      `features ${opts.features}: ${path} is a training run`,
      {
        hint: 'features picks a node of an external (ONNX or tfjs) model; a run is read at its encoder embedding',
        field: { config: 'evaluate', path: 'features' },
      },
    );
  }
  return loadRun(path);
}

async function loadRun(path: string): Promise<EvalModel> {
  const isCheckpoint = (await exists(resolve(path, 'model.json'))) !== null;
  const ckpt = isCheckpoint ? path : await latestCheckpoint(path);
  if (ckpt === null) {
    throw new DatadietError(
      'MODEL_NOT_FOUND',
      `${path} holds no checkpoint (no checkpoints/step-N)`,
      {
        hint: 'train first (`datadiet train --out DIR`), or pass a checkpoint folder or baseline JSON',
      },
    );
  }
  const runDir = isCheckpoint ? dirname(dirname(resolve(path))) : resolve(path);
  const { model, meta } = await loadModel(ckpt);
  const size: [number, number] = [meta.shape.height, meta.shape.width];
  const identity = sha256(await readFile(resolve(ckpt, 'model.json')));
  const base = {
    name: basename(runDir),
    kind: 'run' as const,
    path: resolve(ckpt),
    objective: meta.objective,
    step: meta.step,
    input_size: size,
  };
  const dispose = () => model.params.dispose();
  if (model.encode) {
    const encode = model.encode;
    const vars = model.params.vars;
    const kernel = vars.get('classifier/kernel');
    const bias = vars.get('classifier/bias');
    return {
      description: {
        ...base,
        features: 'encoder embedding',
        pooling: 'global average of the last conv map, then the linear embedding',
        own_head_classes: kernel ? kernel.shape[1] : undefined,
      },
      identity,
      features: (x) => encode(resizeTo(x, size)).embedding,
      logits:
        kernel && bias
          ? (x) =>
              tf.add(
                tf.matMul(encode(resizeTo(x, size)).embedding, kernel as tf.Tensor2D),
                bias,
              ) as tf.Tensor2D
          : undefined,
      dispose,
    };
  }
  if (model.predictFrames && model.recurrentStates) {
    const predict = model.predictFrames;
    const states = model.recurrentStates;
    const prednet = meta.config.prednet;
    const dim = prednet.channels.reduce((a, b) => a + b, 0);
    // PredNet has no single encoder output; Lotter et al. decode from its R units. The image is
    // held still for a few frames (t = 0 has seen no error yet), then each layer's R is pooled.
    return {
      description: {
        ...base,
        features: `PredNet R units (layers ${prednet.channels.join(', ')}) after a ${PREDNET_READOUT_FRAMES}-frame static clip of the image`,
        pooling: `global average of each layer's R map over H×W, concatenated (${dim})`,
      },
      // The readout is part of what the features are: a resumed comparison must not reuse
      // metrics computed with another one.
      identity: sha256(`${identity}/prednet-readout:r-units-${PREDNET_READOUT_FRAMES}`),
      features: (x) => prednetRFeatures(states, resizeTo(x, size)),
      predictFrames: predict,
      dispose,
    };
  }
  dispose();
  throw new DatadietError(
    'MODEL_DATA_MISMATCH',
    `${ckpt}: a ${meta.objective} model exposes neither encoder features nor predictions`,
    { hint: 'evaluate an sfa, sfa-linear, supervised or prednet run' },
  );
}

/**
 * sha256 over the descriptor, model.json and the weight files it lists: converter output carries
 * no checksum, and a resumed comparison must notice new weights under the same names.
 */
async function localModelIdentity(descriptor: string, modelJson: string): Promise<string> {
  const h = createHash('sha256').update(descriptor);
  let json: Buffer;
  try {
    json = await readFile(modelJson);
  } catch {
    return h.digest('hex'); // loading reports the missing file
  }
  h.update(json);
  try {
    const m = JSON.parse(json.toString('utf8')) as { weightsManifest?: { paths?: string[] }[] };
    for (const g of m.weightsManifest ?? []) {
      for (const p of g.paths ?? []) {
        h.update(p);
        h.update(await readFile(resolve(dirname(modelJson), p)).catch(() => Buffer.alloc(0)));
      }
    }
  } catch {
    // Not JSON: loading reports it.
  }
  return h.digest('hex');
}

function invalid(path: string, what: string, cause?: unknown) {
  return new DatadietError('BASELINE_INVALID', `${path}: ${what}`, {
    hint: 'a baseline descriptor is {"name", "model": "path/or/url/model.json", "format": "layers"|"graph"|"onnx", "input_size", "mean", "std", "channel_order", "output", "logits"}',
    cause,
  });
}

const urlName = (url: string) =>
  basename(new URL(url.split('#')[0]!).pathname).replace(/\.(onnx|json)$/i, '') || 'model';

/**
 * A URL's file in the download cache; for a tfjs model.json its weight files too (beside it,
 * as the manifest names them).
 */
async function cachedModel(url: string, sha256Hex: string | undefined): Promise<string> {
  const local = await cachedDownload({ url, sha256: sha256Hex });
  if (/\.onnx$/i.test(local)) return local;
  let manifest: { weightsManifest?: { paths?: string[] }[] } = {};
  try {
    manifest = JSON.parse(await readFile(local, 'utf8')) as typeof manifest;
  } catch {
    return local; // loading reports it
  }
  const base = url.split('#')[0]!;
  for (const g of manifest.weightsManifest ?? []) {
    for (const p of g.paths ?? []) {
      const file = await cachedDownload({ url: new URL(p, base).href, fileName: basename(p) });
      // Weights live beside model.json, where the manifest expects them.
      const dest = resolve(dirname(local), basename(p));
      if (file !== dest) await copyFile(file, dest);
    }
  }
  return local;
}

/** A bare tfjs model.json URL as a descriptor beside the cached file (no preprocessing). */
async function urlDescriptor(url: string, local: string): Promise<string> {
  const d = resolve(dirname(local), 'descriptor.json');
  const json = JSON.parse(await readFile(local, 'utf8')) as {
    format?: string;
    modelTopology?: unknown;
  };
  const graph = json.format === 'graph-model';
  await writeFile(
    d,
    JSON.stringify({
      name: urlName(url),
      model: basename(local),
      format: graph ? 'graph' : 'layers',
      input_size: 224,
    }),
  );
  return d;
}

async function loadBaseline(path: string, opts: LoadModelOptions = {}): Promise<EvalModel> {
  let raw: unknown;
  const text = await readFile(path, 'utf8');
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw invalid(path, 'not valid JSON', e);
  }
  const parsed = BaselineSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(path, `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const b = { ...parsed.data, output: opts.features ?? parsed.data.output };
  const format = b.format ?? (/\.onnx(#.*)?$/i.test(b.model) ? 'onnx' : 'layers');
  const size: [number, number] =
    typeof b.input_size === 'number' ? [b.input_size, b.input_size] : b.input_size;
  const modelPath = isUrl(b.model)
    ? await cachedModel(b.model, b.sha256)
    : isAbsolute(b.model)
      ? b.model
      : resolve(dirname(path), b.model);
  if (format === 'onnx') {
    return loadOnnxEvalModel({
      file: modelPath,
      name: b.name,
      path: resolve(path),
      features: b.output,
      identityExtra: text,
      preprocessing: {
        input_size: size,
        range: b.range,
        mean: b.mean,
        std: b.std,
        channel_order: b.channel_order,
      },
    });
  }
  const handler = fileLoadHandler(modelPath);
  const identity = await localModelIdentity(text, modelPath);
  const mean = tf.tensor1d(b.mean);
  const std = tf.tensor1d(b.std);
  const preprocess = (x: tf.Tensor4D) => {
    let r = resizeTo(x, size);
    if (b.range === 255) r = tf.mul(r, 255);
    if (b.channel_order === 'bgr') r = tf.reverse(r, 3);
    return tf.div(tf.sub(r, mean), std) as tf.Tensor4D;
  };
  let run: (x: tf.Tensor4D) => tf.Tensor;
  let disposeModel: () => void;
  let outDim: number | undefined;
  let outRank: number | undefined;
  if (format === 'layers') {
    let m: tf.LayersModel;
    try {
      m = await tf.loadLayersModel(handler);
    } catch (e) {
      if (e instanceof DatadietError) throw e;
      throw invalid(path, `cannot load LayersModel ${modelPath}: ${(e as Error).message}`, e);
    }
    const inShape = m.inputs[0]?.shape ?? [];
    if (
      inShape.length !== 4 ||
      inShape[3] !== 3 ||
      (inShape[1] != null && inShape[1] !== size[0]) ||
      (inShape[2] != null && inShape[2] !== size[1])
    ) {
      m.dispose();
      throw new DatadietError(
        'MODEL_DATA_MISMATCH',
        `${path}: the model takes input [${inShape.join(',')}], the descriptor says ${size[0]}×${size[1]}×3 images`,
        { hint: 'set input_size to the model’s input (it must take [N, H, W, 3] images)' },
      );
    }
    let net = m;
    if (b.output) {
      let layer: tf.layers.Layer;
      try {
        layer = m.getLayer(b.output);
      } catch (e) {
        m.dispose();
        throw invalid(
          path,
          `output: no layer "${b.output}" (layers: ${m.layers.map((l) => l.name).join(', ')})`,
          e,
        );
      }
      net = tf.model({ inputs: m.inputs, outputs: layer.output as tf.SymbolicTensor });
    }
    const shape = (net.outputs[0]?.shape ?? []) as (number | null)[];
    outDim = shape.length === 2 ? (shape[1] ?? undefined) : undefined;
    outRank = shape.length;
    run = (x) => net.apply(preprocess(x)) as tf.Tensor;
    disposeModel = () => m.dispose();
  } else {
    let g: tf.GraphModel;
    try {
      g = await tf.loadGraphModel(handler);
    } catch (e) {
      if (e instanceof DatadietError) throw e;
      throw invalid(path, `cannot load GraphModel ${modelPath}: ${(e as Error).message}`, e);
    }
    run = (x) => {
      const out = b.output ? g.execute(preprocess(x), b.output) : g.execute(preprocess(x));
      return (Array.isArray(out) ? out[0] : out) as tf.Tensor;
    };
    disposeModel = () => g.dispose();
  }
  const features = (x: tf.Tensor4D) => toFeatures(run(x));
  return {
    description: {
      name: b.name,
      kind: 'baseline',
      path: resolve(path),
      format,
      input_size: size,
      preprocessing: {
        input_size: size,
        range: b.range,
        mean: b.mean,
        std: b.std,
        channel_order: b.channel_order,
      },
      features: b.output ? `output of ${b.output}` : 'model output',
      pooling: poolingOf(outRank),
      own_head_classes: b.logits ? outDim : undefined,
    },
    identity,
    features,
    logits: b.logits ? features : undefined,
    dispose: () => {
      disposeModel();
      tf.dispose([mean, std]);
    },
  };
}
