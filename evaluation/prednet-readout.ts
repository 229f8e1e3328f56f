/**
 * PredNet's representation for the probe: its R units (Lotter et al. decode from these), pooled
 * per layer after the network has watched a short static clip of the image. The training model
 * (training/objectives/prednet.ts) returns only errors and predictions, so this is the same
 * forward pass over the same named weights, also returning R; `prednet-readout.test.ts` checks its
 * predictions equal the training model's, so the two cannot drift apart silently.
 */
import * as tf from '@tensorflow/tfjs';
import type { Params } from '../training/index.ts';

export interface PrednetShape {
  channels: number[];
}

/** Frames a still image is shown for before its R units are read (t = 0 sees no error yet). */
export const PREDNET_READOUT_FRAMES = 4;

const hardSigmoid = (x: tf.Tensor) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);

function conv(x: tf.Tensor4D, params: Params, name: string, activation: 'relu' | 'linear') {
  return tf.fused.conv2d({
    x,
    filter: params.get(`${name}/kernel`) as tf.Tensor4D,
    strides: 1,
    pad: 'same',
    bias: params.get(`${name}/bias`),
    activation,
  });
}

/**
 * Runs PredNet over clips [B, T, H, W, 3]; returns R per step and layer, and layer 0's
 * predictions per step (what the training model's `predictFrames` returns).
 */
export function prednetStates(
  params: Params,
  c: PrednetShape,
  frames: tf.Tensor5D,
): { R: tf.Tensor4D[][]; predictions: tf.Tensor4D[] } {
  const L = c.channels.length;
  const ch = (l: number) => c.channels[l]!;
  const [B, T, H, W] = frames.shape;
  const size = (l: number): [number, number] => [H / 2 ** l, W / 2 ** l];
  let R = c.channels.map((n, l) => tf.zeros([B, ...size(l), n]) as tf.Tensor4D);
  let C = R;
  let E = c.channels.map((n, l) => tf.zeros([B, ...size(l), 2 * n]) as tf.Tensor4D);
  const inputs = tf.unstack(frames, 1) as tf.Tensor4D[];
  const states: tf.Tensor4D[][] = [];
  const predictions: tf.Tensor4D[] = [];
  for (let t = 0; t < T; t++) {
    const newR: tf.Tensor4D[] = new Array<tf.Tensor4D>(L);
    const newC: tf.Tensor4D[] = new Array<tf.Tensor4D>(L);
    for (let l = L - 1; l >= 0; l--) {
      // At t = 0 R and E are zeros: the full gate conv on them equals the training model's
      // shortcut (a conv on the upsampled R above only), so one code path serves every step.
      const parts = [R[l]!, E[l]!];
      if (l < L - 1) parts.push(tf.image.resizeNearestNeighbor(newR[l + 1]!, size(l)));
      const z = conv(tf.concat(parts, 3), params, `prednet/r${l}`, 'linear');
      const [ifo, g] = tf.split(z, [3 * ch(l), ch(l)], 3) as [tf.Tensor4D, tf.Tensor4D];
      const [i, f, o] = tf.split(hardSigmoid(ifo), 3, 3) as tf.Tensor4D[];
      newC[l] = tf.add(tf.mul(f!, C[l]!), tf.mul(i!, tf.tanh(g))) as tf.Tensor4D;
      newR[l] = tf.mul(o!, tf.tanh(newC[l]!)) as tf.Tensor4D;
    }
    const newE: tf.Tensor4D[] = [];
    let target = inputs[t]!;
    for (let l = 0; l < L; l++) {
      let ahat = conv(newR[l]!, params, `prednet/ahat${l}`, 'relu');
      if (l === 0) {
        ahat = tf.minimum(ahat, 1);
        predictions.push(ahat);
      }
      const e = tf.concat(
        [tf.relu(tf.sub(ahat, target)), tf.relu(tf.sub(target, ahat))],
        3,
      ) as tf.Tensor4D;
      newE.push(e);
      if (l < L - 1)
        target = tf.maxPool(conv(e, params, `prednet/a${l + 1}`, 'relu'), 2, 2, 'valid');
    }
    states.push(newR);
    R = newR;
    C = newC;
    E = newE;
  }
  return { R: states, predictions };
}

/**
 * Images [N, H, W, 3] (at the model's size) → [N, Σ channels]: each image held still for
 * `PREDNET_READOUT_FRAMES` frames, then every layer's R map averaged over H×W and concatenated.
 */
export function prednetRFeatures(params: Params, c: PrednetShape, x: tf.Tensor4D): tf.Tensor2D {
  const clip = tf.stack(
    Array.from({ length: PREDNET_READOUT_FRAMES }, () => x),
    1,
  ) as tf.Tensor5D;
  const { R } = prednetStates(params, c, clip);
  const last = R[R.length - 1]!;
  return tf.concat(
    last.map((r) => tf.mean(r, [1, 2])),
    1,
  ) as tf.Tensor2D;
}
