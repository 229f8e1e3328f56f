/**
 * Each objective's trained network as an ONNX graph (NCHW, like torch.onnx.export writes), built
 * from checkpoint weights. The graphs mirror training/encoder.ts and the objectives op for op:
 * the encoder's `x − 0.5`, TensorFlow 'same' padding as explicit pads, global average pooling,
 * the linear embedding; the supervised classifier, sfa-linear's projection and egomotion's
 * frame-pair stacking and head on top. PredNet is one recurrent step (prednet-export.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../core/index.ts';
import {
  type CheckpointMeta,
  BLUR_TAPS,
  channelsOf,
  checkpointStats,
  targetColumns,
  whitening,
} from '../training/index.ts';
import { GraphBuilder, samePads, type IoSpec } from './builder.ts';

export type Weights = tf.NamedTensorMap;

export interface ExportGraph {
  builder: GraphBuilder;
  inputs: IoSpec[];
  outputs: IoSpec[];
  /** The value evaluation's probe reads (`datadiet evaluate --model x.onnx`). */
  features: string | undefined;
  /** The model's own class logits, when it has a head. */
  logits?: string | undefined;
  /** Layer values in depth order, for layer-wise benchmarks (Brain-Score's layer list). */
  layers: string[];
  /** Extra metadata (e.g. motion columns). */
  metadata?: Record<string, string>;
}

export function weight(w: Weights, name: string, source: string): tf.Tensor {
  const t = w[name];
  if (t === undefined) {
    throw new DatadietError('EXPORT_FAILED', `${source}: the checkpoint has no weight '${name}'`, {
      hint: 'export a checkpoint written by `datadiet train` (this one is incomplete or from another version)',
    });
  }
  return t;
}

/** tfjs conv kernel [k, k, ci, co] → ONNX [co, ci, k, k]. */
export const convKernel = (t: tf.Tensor) => tf.transpose(t, [3, 2, 0, 1]);

export function imageInput(name: string, size: [number, number], doc: string): IoSpec {
  return { name, shape: ['batch', 3, size[0], size[1]], doc };
}

/** training/encoder.ts from `input` (NCHW in [0, 1]) to `embedding`; returns value names. */
export function emitEncoder(
  g: GraphBuilder,
  w: Weights,
  meta: CheckpointMeta,
  input: string,
  source: string,
): { pooled: string; layers: string[] } {
  const c = meta.config.encoder;
  const half = g.floats('half', [0.5], []);
  let x = g.node('Sub', [input, half], 'centred');
  let size: [number, number] = [meta.shape.height, meta.shape.width];
  const layers: string[] = [];
  const stride = c.antialias ? 1 : c.stride;
  channelsOf(c).forEach((co, i) => {
    const k = g.init(`conv${i}.weight`, convKernel(weight(w, `encoder/conv${i}/kernel`, source)));
    const b = g.init(`conv${i}.bias`, weight(w, `encoder/conv${i}/bias`, source));
    const conv = g.node('Conv', [x, k, b], `conv${i}`, {
      kernel_shape: [c.kernel, c.kernel],
      strides: [stride, stride],
      pads: samePads(size, c.kernel, stride),
    });
    x = g.node('Relu', [conv], `relu${i}`);
    size = [Math.ceil(size[0] / stride), Math.ceil(size[1] / stride)];
    if (c.antialias) {
      // training/blur-pool.ts as the depthwise conv it equals: [1,2,1]⊗[1,2,1]/16, stride 2.
      const blur = BLUR_TAPS.flatMap((a) => BLUR_TAPS.map((b) => a * b));
      const kernel = g.floats(`blur${i}.weight`, Array.from({ length: co }, () => blur).flat(), [
        co,
        1,
        3,
        3,
      ]);
      x = g.node('Conv', [x, kernel], `blurpool${i}`, {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: samePads(size, 3, 2),
        group: co,
      });
      size = [Math.ceil(size[0] / 2), Math.ceil(size[1] / 2)];
    }
    layers.push(x);
  });
  const gap = g.node('GlobalAveragePool', [x], 'avgpool');
  const pooled = g.node('Flatten', [gap], 'pooled', { axis: 1 });
  layers.push(pooled);
  return { pooled, layers };
}

function linear(g: GraphBuilder, w: Weights, x: string, name: string, src: string, out: string) {
  const k = g.init(`${out}.weight`, weight(w, `${name}/kernel`, src));
  const b = g.init(`${out}.bias`, weight(w, `${name}/bias`, src));
  return g.node('Gemm', [x, k, b], out);
}

const IMAGE_DOC =
  'RGB frames, NCHW float32 in [0, 1] (no mean/std: the graph subtracts 0.5 itself), at the training size';

/** sfa, sfa-linear, supervised: one image in, the embedding (and logits) out. */
export function encoderGraph(meta: CheckpointMeta, w: Weights, source: string): ExportGraph {
  const g = new GraphBuilder();
  const size: [number, number] = [meta.shape.height, meta.shape.width];
  const e = meta.config.encoder.embedding;
  const enc = emitEncoder(g, w, meta, 'image', source);
  let embedding: string;
  if (meta.objective === 'sfa-linear') {
    const mean = g.init('sfa_linear.mean', weight(w, 'sfa_linear/mean', source));
    const proj = g.init('sfa_linear.projection', weight(w, 'sfa_linear/projection', source));
    const centred = g.node('Sub', [enc.pooled, mean], 'pooled_centred');
    embedding = g.node('MatMul', [centred, proj], 'embedding');
  } else if (meta.objective === 'sfa') {
    // Trained SFA outputs are whitened with the statistics saved in the checkpoint.
    const stats = checkpointStats(w, meta.config.sfa.momentum);
    const raw = linear(g, w, enc.pooled, 'encoder/embedding', source, stats ? 'raw' : 'embedding');
    if (stats) {
      const white = whitening(stats);
      const mean = g.init('whitening.mean', white.mean);
      const matrix = g.init('whitening.matrix', white.matrix);
      embedding = g.node(
        'MatMul',
        [g.node('Sub', [raw, mean], 'raw_centred'), matrix],
        'embedding',
      );
      tf.dispose([white.mean, white.matrix]);
    } else embedding = raw;
  } else embedding = linear(g, w, enc.pooled, 'encoder/embedding', source, 'embedding');
  const outputs: IoSpec[] = [
    {
      name: embedding,
      shape: ['batch', e],
      doc:
        meta.objective === 'sfa-linear'
          ? 'slow features: closed-form linear SFA of the pooled conv features'
          : 'encoder embedding (what datadiet evaluate probes)',
    },
  ];
  let logits: string | undefined;
  if (meta.objective === 'supervised') {
    logits = linear(g, w, embedding, 'classifier', source, 'logits');
    outputs.push({
      name: logits,
      shape: ['batch', meta.shape.numClasses],
      doc: 'class logits of the supervised head (category_index order of the training manifest)',
    });
  }
  return {
    builder: g,
    inputs: [imageInput('image', size, IMAGE_DOC)],
    outputs,
    features: embedding,
    logits,
    layers: [...enc.layers, embedding, ...(logits ? [logits] : [])],
  };
}

/**
 * egomotion: two consecutive frames in; luminance (a 1×1 conv with the BT.601 weights the
 * objective uses), stacked as [Y_t, Y_t+1, 0.5 + ΔY], the encoder, and the self-motion head.
 */
export function egomotionGraph(meta: CheckpointMeta, w: Weights, source: string): ExportGraph {
  const g = new GraphBuilder();
  const size: [number, number] = [meta.shape.height, meta.shape.width];
  const lumaW = g.floats('luma.weight', [0.299, 0.587, 0.114], [1, 3, 1, 1]);
  const y0 = g.node('Conv', ['frame0', lumaW], 'luma0', { kernel_shape: [1, 1] });
  const y1 = g.node('Conv', ['frame1', lumaW], 'luma1', { kernel_shape: [1, 1] });
  const half = g.floats('diff_offset', [0.5], []);
  const diff = g.node('Add', [g.node('Sub', [y1, y0], 'luma_diff'), half], 'luma_diff_offset');
  const pair = g.node('Concat', [y0, y1, diff], 'pair', { axis: 1 });
  const enc = emitEncoder(g, w, meta, pair, source);
  const embedding = linear(g, w, enc.pooled, 'encoder/embedding', source, 'embedding');
  const head = weight(w, 'egomotion/head/kernel', source);
  const k = head.shape[1]!;
  // The head predicts standardised targets; the output is in the targets' units, as `predict`.
  const standard = linear(g, w, embedding, 'egomotion/head', source, 'motion_standardised');
  const std = g.init('motion.std', weight(w, 'egomotion/target_std', source));
  const mean = g.init('motion.mean', weight(w, 'egomotion/target_mean', source));
  const motion = g.node('Add', [g.node('Mul', [standard, std], 'motion_scaled'), mean], 'motion');
  return {
    builder: g,
    inputs: [
      imageInput('frame0', size, `frame t: ${IMAGE_DOC}`),
      imageInput(
        'frame1',
        size,
        'frame t+1 (the same frame twice gives the single-image features)',
      ),
    ],
    outputs: [
      {
        name: embedding,
        shape: ['batch', meta.config.encoder.embedding],
        doc: 'encoder embedding of the frame pair',
      },
      {
        name: motion,
        shape: ['batch', k],
        doc: 'predicted self-motion over the interval (columns in datadiet.motion_columns)',
      },
    ],
    // Evaluation reads one image: the same frame twice (a pair with no motion), as a run does.
    features: embedding,
    layers: [...enc.layers, embedding, motion],
    metadata: {
      'datadiet.motion_columns': JSON.stringify(targetColumns(meta.config.egomotion.targets).names),
    },
  };
}
