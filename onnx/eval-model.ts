/**
 * An ONNX classifier as an evaluation model: frames [N, H, W, 3] in [0, 1] → preprocessing →
 * NCHW → the graph. The probe reads a named feature node (default: the input of the final
 * classifier layer); the graph output, when it is a classifier, is the model's own head.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../core/index.ts';
import type { EvalModel } from '../evaluation/index.ts';
import { resizeTo } from '../training/index.ts';
import { OnnxGraph } from './graph.ts';
import { decodeModel, metadata } from './proto.ts';

export interface Preprocessing {
  input_size: [number, number];
  /** 1: the model takes [0, 1] before mean/std; 255: [0, 255]. */
  range: 1 | 255;
  mean: [number, number, number];
  std: [number, number, number];
  channel_order: 'rgb' | 'bgr';
}

/** torchvision's ImageNet normalisation: what a bare .onnx from torch.onnx.export expects. */
export const IMAGENET_PREPROCESSING: Omit<Preprocessing, 'input_size'> = {
  range: 1,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  channel_order: 'rgb',
};

/** Metadata key under which `datadiet export` records its preprocessing (JSON). */
export const PREPROCESSING_KEY = 'datadiet.preprocessing';

/** Metadata keys `datadiet export` writes and evaluation reads (besides PREPROCESSING_KEY). */
export const EXPORT_META = {
  /** The value the probe reads. */
  features: 'datadiet.features',
  /** The output that is the model's own class logits. */
  logits: 'datadiet.logits',
  /** JSON list of the inputs that each receive the image. */
  imageInputs: 'datadiet.image_inputs',
  /** Set on a recurrent (PredNet) step: not an image model. */
  recurrent: 'datadiet.recurrent',
} as const;

function parseList(s: string | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface OnnxEvalOptions {
  /** The .onnx file. */
  file: string;
  name: string;
  /** Where the descriptor (or the file itself) lives, for the report. */
  path: string;
  /** From a descriptor; else the model's own metadata; else ImageNet with the graph's size. */
  preprocessing?: Partial<Preprocessing> | undefined;
  /** Value or node name the probe reads. */
  features?: string | undefined;
  /** Extra bytes that define the model (a descriptor), for the identity hash. */
  identityExtra?: string | undefined;
}

function preprocessingOf(
  graph: OnnxGraph,
  given: Partial<Preprocessing> | undefined,
): Preprocessing {
  let fromMeta: Partial<Preprocessing> = {};
  const meta = graph.metadata[PREPROCESSING_KEY];
  if (meta) {
    try {
      fromMeta = JSON.parse(meta) as Partial<Preprocessing>;
    } catch {
      // A foreign model with a broken key: fall back to the defaults below.
    }
  }
  const shape = graph.inputs[0]?.shape ?? [];
  const graphSize: [number, number] | undefined =
    shape.length === 4 && shape[2] && shape[3] ? [shape[2], shape[3]] : undefined;
  return {
    input_size: given?.input_size ?? fromMeta.input_size ?? graphSize ?? [224, 224],
    range: given?.range ?? fromMeta.range ?? IMAGENET_PREPROCESSING.range,
    mean: given?.mean ?? fromMeta.mean ?? IMAGENET_PREPROCESSING.mean,
    std: given?.std ?? fromMeta.std ?? IMAGENET_PREPROCESSING.std,
    channel_order: given?.channel_order ?? fromMeta.channel_order ?? 'rgb',
  };
}

/** Rank-4 NCHW maps are average-pooled over space, token sequences over tokens. */
function pool(t: tf.Tensor): tf.Tensor2D {
  if (t.rank === 2) return t as tf.Tensor2D;
  if (t.rank === 4) return tf.mean(t, [2, 3]) as tf.Tensor2D;
  if (t.rank === 3) return tf.mean(t, 1) as tf.Tensor2D;
  return t.reshape([t.shape[0]!, -1]) as tf.Tensor2D;
}

export async function loadOnnxEvalModel(o: OnnxEvalOptions): Promise<EvalModel> {
  let bytes: Buffer;
  try {
    bytes = await readFile(o.file);
  } catch (e) {
    throw new DatadietError('MODEL_NOT_FOUND', `no ONNX file at ${o.file}`, {
      hint: 'pass an existing .onnx file (torch.onnx.export output) or an http(s) URL',
      cause: e,
    });
  }
  const proto = decodeModel(bytes, o.file);
  const meta = metadata(proto);
  if (meta[EXPORT_META.recurrent] !== undefined) {
    throw new DatadietError(
      'MODEL_DATA_MISMATCH',
      `${o.file} is a recurrent PredNet step exported by datadiet, not an image model`,
      { hint: 'evaluate the PredNet run folder itself (--model runs/prednet)' },
    );
  }
  const graph = new OnnxGraph(proto, o.file);
  // `datadiet export` names the inputs that each take the image (egomotion: both frames of a
  // still pair, as a run is evaluated); any other model must take exactly one.
  const imageInputs = parseList(meta[EXPORT_META.imageInputs]) ?? graph.inputs.map((i) => i.name);
  const input = graph.inputs.find((i) => i.name === imageInputs[0]);
  if (
    imageInputs.length !== graph.inputs.length ||
    (imageInputs.length !== 1 && meta[EXPORT_META.imageInputs] === undefined) ||
    !input ||
    (input.shape.length !== 4 && input.shape.length !== 0)
  ) {
    graph.dispose();
    throw new DatadietError(
      'MODEL_DATA_MISMATCH',
      `${o.file}: evaluation needs one image input [N, 3, H, W]; the graph takes ${graph.inputs.map((i) => `${i.name} [${i.shape.map((d) => d ?? '?').join(',')}]`).join(', ')}`,
      { hint: 'export the classifier with a single NCHW image input' },
    );
  }
  const pre = preprocessingOf(graph, o.preprocessing);
  // A datadiet export says what the probe reads and which output (if any) is a class head.
  const ours = meta[EXPORT_META.features] !== undefined;
  const head = ours ? meta[EXPORT_META.logits] : graph.outputs[0]!;
  const classifierIn = ours
    ? head === undefined
      ? null
      : meta[EXPORT_META.features]!
    : graph.classifierInput();
  let featureValue: string;
  if (o.features !== undefined) {
    const v = graph.resolveValue(o.features);
    if (v === null) {
      graph.dispose();
      throw new DatadietError(
        'CONFIG_INVALID',
        `features ${o.features}: ${o.file} has no node or value of that name`,
        {
          hint: `name one of its values, e.g. ${graph.valueNames().slice(-6).join(', ')}`,
          field: { config: 'evaluate', path: 'features' },
        },
      );
    }
    featureValue = v;
  } else featureValue = ours ? meta[EXPORT_META.features]! : (classifierIn ?? head!);
  const hasHead = classifierIn !== null;

  const mean = tf.tensor1d(pre.mean);
  const std = tf.tensor1d(pre.std);
  const toInput = (x: tf.Tensor4D) => {
    let r = resizeTo(x, pre.input_size);
    if (pre.range === 255) r = tf.mul(r, 255);
    if (pre.channel_order === 'bgr') r = tf.reverse(r, 3);
    return tf.transpose(tf.div(tf.sub(r, mean), std), [0, 3, 1, 2]);
  };
  const run = (x: tf.Tensor4D, value: string) => {
    const image = toInput(x);
    return graph.run(Object.fromEntries(imageInputs.map((n) => [n, image])), [value])[0]!;
  };
  // Probe the head's width once (a zero image) so the own-head column knows its class count.
  let headClasses: number | undefined;
  if (hasHead && head !== undefined) {
    const probe = tf.tidy(() => run(tf.zeros([1, ...pre.input_size, 3]), head).shape);
    headClasses = probe.length === 2 ? probe[1] : undefined;
  }
  const identity = createHash('sha256')
    .update(o.identityExtra ?? '')
    .update(o.features ?? '')
    .update(bytes)
    .digest('hex');
  return {
    description: {
      name: o.name,
      kind: 'baseline',
      path: o.path,
      format: 'onnx',
      input_size: pre.input_size,
      features: `ONNX value ${featureValue}${ours && o.features === undefined ? ' (named by the export)' : featureValue === classifierIn && o.features === undefined ? ' (input of the final classifier layer)' : ''}`,
      pooling:
        'global average over H×W for an NCHW map, over tokens for [N, T, C], else none/flattened',
      own_head_classes: headClasses,
      preprocessing: pre,
    },
    identity,
    features: (x) => pool(run(x, featureValue)),
    logits:
      headClasses !== undefined && head !== undefined
        ? (x) => run(x, head) as tf.Tensor2D
        : undefined,
    dispose: () => {
      graph.dispose();
      tf.dispose([mean, std]);
    },
  };
}
