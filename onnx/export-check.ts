/**
 * The export's own check: onnxruntime-node (an independent runtime, its own kernels) runs the
 * exported bytes on seeded frames, and every output is compared with what the tfjs model of the
 * same checkpoint computes. PredNet is unrolled over a short clip with its state fed back.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/index.ts';
import type { IoSpec } from './builder.ts';
import { loadModel, type CheckpointMeta, type EgomotionModel } from '../training/index.ts';

export interface ExportCheck {
  /** max over outputs of max |onnxruntime − tfjs| / max |tfjs|. */
  maxRelErr: number;
  /** The output where it occurred. */
  worst: string;
  /** Per output. */
  errors: Record<string, number>;
  images: number;
}

/** max |a − b| / max |b|: one figure that scales with the outputs. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return m === 0 ? d : d / m;
}

const nchw = (x: tf.Tensor4D) => tf.transpose(x, [0, 3, 1, 2]);

/** Seeded frames [T][N, H, W, 3] in [0, 1]: smooth images that change a little over time. */
function frames(meta: CheckpointMeta, n: number, t: number): tf.Tensor4D[] {
  const rng = new Rng(15, 'export-check');
  const { height: h, width: w } = meta.shape;
  const base = Float32Array.from({ length: n * h * w * 3 }, () => rng.uniform(0, 1));
  return Array.from({ length: t }, (_, s) =>
    tf.tidy(() => {
      const x = tf.tensor4d(base, [n, h, w, 3]);
      return tf.clipByValue(tf.add(x, s * 0.05), 0, 1) as tf.Tensor4D;
    }),
  );
}

export async function checkExport(o: {
  bytes: Uint8Array;
  checkpoint: string;
  meta: CheckpointMeta;
  inputs: IoSpec[];
}): Promise<ExportCheck> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(o.bytes);
  const { model } = await loadModel(o.checkpoint);
  const N = 2;
  const T = o.meta.objective === 'prednet' ? 3 : 2;
  const xs = frames(o.meta, N, T);
  const feed = (t: tf.Tensor) =>
    new ort.Tensor('float32', Float32Array.from(t.dataSync()), t.shape as number[]);
  const errors: Record<string, number> = {};
  const compare = (name: string, ours: ArrayLike<number>, ref: tf.Tensor) => {
    errors[name] = Math.max(errors[name] ?? 0, relErr(ours, ref.dataSync()));
  };
  const refs: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T) => (refs.push(t), t);
  try {
    const x0 = xs[0]!;
    if (o.meta.objective === 'prednet') {
      const clip = keep(tf.stack(xs, 1) as tf.Tensor5D);
      const preds = model.predictFrames!(clip).map((p) => keep(nchw(p)));
      let state: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const io of o.inputs.filter((i) => i.name !== 'frame')) {
        const dims = io.shape.map((d) => (typeof d === 'number' ? d : N));
        const zeros = new Float32Array(dims.reduce((a, b) => a * b, 1));
        state[io.name] = new ort.Tensor('float32', zeros, dims);
      }
      for (let t = 0; t < T; t++) {
        const out = await session.run({ frame: feed(keep(nchw(xs[t]!))), ...state });
        compare('prediction', out.prediction!.data as Float32Array, preds[t]!);
        state = Object.fromEntries(
          Object.keys(state).map((k) => [k, out[`${k}_next`]!]),
        ) as typeof state;
      }
    } else if (o.meta.objective === 'egomotion') {
      const ego = model as EgomotionModel;
      const pair = keep(tf.stack([x0, xs[1]!], 1) as tf.Tensor5D);
      const motion = keep(ego.predict(pair).reshape([N, -1]));
      const out = await session.run({
        frame0: feed(keep(nchw(x0))),
        frame1: feed(keep(nchw(xs[1]!))),
      });
      compare('motion', out.motion!.data as Float32Array, motion);
      // The same frame twice: the single-image features evaluation reads.
      const still = await session.run({
        frame0: feed(keep(nchw(x0))),
        frame1: feed(keep(nchw(x0))),
      });
      compare('embedding', still.embedding!.data as Float32Array, keep(ego.encode!(x0).embedding));
    } else {
      const emb = keep(model.encode!(x0).embedding);
      const out = await session.run({ image: feed(keep(nchw(x0))) });
      compare('embedding', out.embedding!.data as Float32Array, emb);
      if (o.meta.objective === 'supervised') {
        const v = model.params.vars;
        const logits = keep(
          tf.add(
            tf.matMul(emb, v.get('classifier/kernel')! as tf.Tensor2D),
            v.get('classifier/bias')!,
          ),
        );
        compare('logits', out.logits!.data as Float32Array, logits);
      }
    }
  } finally {
    tf.dispose([...xs, ...refs]);
    model.params.dispose();
    await session.release();
  }
  let worst = '';
  let maxRelErr = 0;
  for (const [k, v] of Object.entries(errors)) {
    if (!(v <= maxRelErr)) {
      maxRelErr = v;
      worst = k;
    }
  }
  // Frames fed: a clip per image for PredNet, a pair for egomotion, one frame otherwise.
  const images =
    o.meta.objective === 'prednet' ? N * T : o.meta.objective === 'egomotion' ? 2 * N : N;
  return { maxRelErr, worst, errors, images };
}
