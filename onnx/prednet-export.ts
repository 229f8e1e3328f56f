/**
 * PredNet as ONNX: one recurrent step with its state as explicit inputs and outputs, so any
 * runtime can unroll it over a clip. Step t takes frame t and (R, C, E) of every layer from step
 * t−1 (zeros at t = 0: with zero state the gate conv reduces to what training/objectives/prednet.ts
 * computes at t = 0) and returns the prediction of frame t (made before reading frame t) and the
 * new state. Same ops as the tfjs model: top-down ConvLSTM (hard-sigmoid gates, Keras'
 * 0.2x + 0.5), nearest 2× upsampling, then bottom-up Â = ReLU(conv R) (clipped at 1 on layer 0),
 * E = [ReLU(Â − A), ReLU(A − Â)], A_{l+1} = maxpool(ReLU(conv E)).
 */
import type { CheckpointMeta } from '../training/index.ts';
import { GraphBuilder, type IoSpec } from './builder.ts';
import { EXPORT_META } from './eval-model.ts';
import { convKernel, weight, type ExportGraph, type Weights } from './export-graphs.ts';

export function prednetGraph(meta: CheckpointMeta, w: Weights, source: string): ExportGraph {
  const g = new GraphBuilder();
  const c = meta.config.prednet;
  const L = c.channels.length;
  const a = c.channels;
  const k = c.kernel;
  const H = meta.shape.height;
  const W = meta.shape.width;
  const size = (l: number) => [H / 2 ** l, W / 2 ** l] as const;
  // 'same' at stride 1 with an odd kernel: symmetric; an even one puts the extra pixel after.
  const p0 = Math.floor((k - 1) / 2);
  const pads = [p0, p0, k - 1 - p0, k - 1 - p0];
  const conv = (x: string, name: string, out: string) => {
    const kw = g.init(`${out}.weight`, convKernel(weight(w, `${name}/kernel`, source)));
    const b = g.init(`${out}.bias`, weight(w, `${name}/bias`, source));
    return g.node('Conv', [x, kw, b], out, { kernel_shape: [k, k], strides: [1, 1], pads });
  };
  const one = g.floats('one', [1], []);
  const scales = g.floats('upsample_scales', [1, 1, 2, 2]);

  const inputs: IoSpec[] = [
    {
      name: 'frame',
      shape: ['batch', 3, H, W],
      doc: 'frame t: RGB, NCHW float32 in [0, 1], at the training size',
    },
  ];
  const outputs: IoSpec[] = [
    {
      name: 'prediction',
      shape: ['batch', 3, H, W],
      doc: 'the prediction of frame t from frames < t (the input frame is not used for it)',
    },
  ];
  for (let l = 0; l < L; l++) {
    const [h, wd] = size(l);
    const r = a[l]!;
    for (const [s, ch, what] of [
      ['R', r, 'ConvLSTM output'],
      ['C', r, 'ConvLSTM cell'],
      ['E', 2 * r, 'error units [ReLU(Â−A), ReLU(A−Â)]'],
    ] as const) {
      inputs.push({
        name: `${s}${l}`,
        shape: ['batch', ch, h, wd],
        doc: `layer ${l} ${what} from step t−1 (zeros at t = 0)`,
      });
      outputs.push({
        name: `${s}${l}_next`,
        shape: ['batch', ch, h, wd],
        doc: `layer ${l} ${what} after step t (feed back as ${s}${l})`,
      });
    }
  }

  // Top-down: the ConvLSTMs.
  const newR: string[] = new Array<string>(L);
  const newC: string[] = new Array<string>(L);
  for (let l = L - 1; l >= 0; l--) {
    const r = a[l]!;
    const parts = [`R${l}`, `E${l}`];
    if (l < L - 1)
      parts.push(
        g.node('Resize', [newR[l + 1]!, '', scales], `up${l + 1}`, {
          mode: 'nearest',
          coordinate_transformation_mode: 'asymmetric',
          nearest_mode: 'floor',
        }),
      );
    const cat = g.node('Concat', parts, `lstm${l}_in`, { axis: 1 });
    const z = conv(cat, `prednet/r${l}`, `lstm${l}_gates`);
    const split = g.ints(`lstm${l}_split`, [r, r, r, r]);
    const [i, f, o, gg] = g.nodeN(
      'Split',
      [z, split],
      [`lstm${l}_i_pre`, `lstm${l}_f_pre`, `lstm${l}_o_pre`, `lstm${l}_g_pre`],
      { axis: 1 },
    );
    const hs = (x: string, n: string) =>
      g.node('HardSigmoid', [x], n, { alpha: { float: 0.2 }, beta: { float: 0.5 } });
    const cNext = g.node(
      'Add',
      [
        g.node('Mul', [hs(f!, `lstm${l}_f`), `C${l}`], `lstm${l}_fc`),
        g.node('Mul', [hs(i!, `lstm${l}_i`), g.node('Tanh', [gg!], `lstm${l}_g`)], `lstm${l}_ig`),
      ],
      `C${l}_next`,
    );
    newC[l] = cNext;
    newR[l] = g.node(
      'Mul',
      [hs(o!, `lstm${l}_o`), g.node('Tanh', [cNext], `lstm${l}_c_tanh`)],
      `R${l}_next`,
    );
  }
  // Bottom-up: predictions and errors.
  let target = 'frame';
  for (let l = 0; l < L; l++) {
    let ahat = g.node('Relu', [conv(newR[l]!, `prednet/ahat${l}`, `ahat${l}_conv`)], `ahat${l}`);
    if (l === 0) ahat = g.node('Min', [ahat, one], 'prediction');
    const pos = g.node('Relu', [g.node('Sub', [ahat, target], `e${l}_over`)], `e${l}_pos`);
    const neg = g.node('Relu', [g.node('Sub', [target, ahat], `e${l}_under`)], `e${l}_neg`);
    const e = g.node('Concat', [pos, neg], `E${l}_next`, { axis: 1 });
    if (l < L - 1) {
      const act = g.node(
        'Relu',
        [conv(e, `prednet/a${l + 1}`, `a${l + 1}_conv`)],
        `a${l + 1}_relu`,
      );
      target = g.node('MaxPool', [act], `A${l + 1}`, { kernel_shape: [2, 2], strides: [2, 2] });
    }
  }
  return {
    builder: g,
    inputs,
    outputs,
    features: undefined,
    layers: newR.map((_, l) => `R${l}_next`),
    metadata: {
      [EXPORT_META.recurrent]:
        'one PredNet step: feed frame t and the state outputs *_next of step t−1 as R*, C*, E* (zeros at t = 0); `prediction` is frame t predicted from frames < t',
    },
  };
}
