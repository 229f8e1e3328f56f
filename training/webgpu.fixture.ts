/**
 * Child process for webgpu.e2e.test.ts (Dawn must see VK_ICD_FILENAMES / LD_LIBRARY_PATH before it
 * loads, so the test sets them on this process). For the backend named in argv[2], trains every
 * gradient objective a few Adam steps on seeded synthetic clips, computes saliency maps of the
 * supervised model and a finite-difference check of one of them, and prints the figures as JSON.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/index.ts';
import { ssimPerImage, saliencyMaps } from '../evaluation/index.ts';
import { MOTION_COLUMNS } from '../scenes/index.ts';
import { selectBackend } from './backend.ts';
import { TrainConfigSchema, type TrainConfigInput } from './config.ts';
import type { Batch } from './loader.ts';
import { findObjective } from './objectives/index.ts';

const arg = process.argv.at(-1) ?? 'wasm';
// `select:NAME` only reports what selectBackend does with NAME (the opt-in's rules).
if (arg.startsWith('select:')) {
  try {
    const c = await selectBackend(arg.slice('select:'.length));
    console.log(JSON.stringify({ backend: c.name, reason: c.reason }));
  } catch (e) {
    const err = e as { code?: string; message: string; hint?: string };
    console.log(JSON.stringify({ code: err.code, message: err.message, hint: err.hint }));
  }
  process.exit(0);
}
const backend = await selectBackend(arg);
const SIZE = 16;
const STEPS = 3;
const CLASSES = 3;
const shape = { height: SIZE, width: SIZE, numClasses: CLASSES };
const encoder = { width: 4, depth: 2, embedding: 8 };

/** Smooth random images (a blurred grid of seeded values): conv gradients stay informative. */
function clips(rng: Rng, b: number, t: number): Float32Array {
  const out = new Float32Array(b * t * SIZE * SIZE * 3);
  for (let i = 0; i < out.length; i++) out[i] = rng.next();
  // Consecutive frames drift slowly (what the slowness and prediction losses look at).
  const frame = SIZE * SIZE * 3;
  for (let c = 0; c < b; c++)
    for (let f = 1; f < t; f++)
      for (let i = 0; i < frame; i++) {
        const at = (c * t + f) * frame + i;
        out[at] = 0.8 * out[at - frame]! + 0.2 * out[at]!;
      }
  return out;
}

function batchFor(seedLabel: string, b: number, t: number, eyes: 'left' | 'both'): Batch {
  const rng = new Rng(7, seedLabel);
  const s = [b, t, SIZE, SIZE, 3] as [number, number, number, number, number];
  const left = tf.tensor5d(clips(rng.fork('left'), b, t), s);
  const right = eyes === 'both' ? tf.tensor5d(clips(rng.fork('right'), b, t), s) : undefined;
  const labelRng = rng.fork('labels');
  const labels = tf.tensor1d(
    Array.from({ length: b }, () => Math.floor(labelRng.next() * CLASSES)),
    'int32',
  );
  const motionRng = rng.fork('motion');
  const motion = tf.tensor3d(
    Float32Array.from({ length: b * t * MOTION_COLUMNS.length }, () => motionRng.normal(0, 1)),
    [b, t, MOTION_COLUMNS.length],
  );
  return { left, ...(right ? { right } : {}), labels, motion, keys: [] };
}

const RUNS: { name: string; config: TrainConfigInput }[] = [
  { name: 'sfa', config: { objective: 'sfa', steps: STEPS, batch: 6, clip: 3, encoder } },
  {
    name: 'sfa-binocular',
    config: {
      objective: 'sfa',
      steps: STEPS,
      batch: 6,
      clip: 2,
      encoder,
      sfa: { binocular: true },
    },
  },
  {
    name: 'prednet',
    config: {
      objective: 'prednet',
      steps: STEPS,
      batch: 2,
      clip: 3,
      prednet: { channels: [3, 4, 8], layerLoss: 'L_all' },
    },
  },
  { name: 'supervised', config: { objective: 'supervised', steps: STEPS, batch: 6, encoder } },
  { name: 'egomotion', config: { objective: 'egomotion', steps: STEPS, batch: 4, encoder } },
];

const losses: Record<string, number[]> = {};
let supervised: ReturnType<ReturnType<typeof findObjective>['create']> | null = null;
for (const run of RUNS) {
  const config = TrainConfigSchema.parse(run.config);
  const objective = findObjective(config.objective);
  const model = objective.create({ config, shape, rng: new Rng(config.seed, 'train') });
  const needs = objective.needs(config);
  const optimizer = tf.train.adam(3e-3);
  const vars = model.params.list();
  losses[run.name] = [];
  for (let step = 0; step < STEPS; step++) {
    const batch = batchFor(`${run.name}/${step}`, config.batch, needs.clipLength, needs.eyes);
    const cost = optimizer.minimize(() => model.loss(batch), true, vars)!;
    losses[run.name]!.push((await cost.data())[0]!);
    cost.dispose();
    tf.dispose([batch.left, batch.right, batch.labels, batch.motion].filter((x) => x));
  }
  optimizer.dispose();
  if (run.name === 'supervised') supervised = model;
}

// Saliency of the trained supervised model: a linear head on its embedding gives the logits.
const rng = new Rng(11, 'saliency');
const n = 4;
const images = clips(rng.fork('images'), n, 1);
const labels = [0, 1, 2, 1];
const [hw, hb] = [
  supervised!.params.get('classifier/kernel'),
  supervised!.params.get('classifier/bias'),
];
const logits = (x: tf.Tensor4D) =>
  tf.add(tf.matMul(supervised!.encode!(x).embedding, hw as tf.Tensor2D), hb) as tf.Tensor2D;
const maps = await saliencyMaps({
  logits,
  images,
  h: SIZE,
  w: SIZE,
  rows: [0, 1, 2, 3],
  labels,
  numClasses: CLASSES,
  rng,
});

// Finite differences of image 0's true logit on a few (pixel, channel) entries, in float64 sums
// of float32 forward passes; compared with the signed gradient.
// Reads are async: tfjs-webgpu's dataSync needs OffscreenCanvas, which Node lacks.
const read = async (t: tf.Tensor) => {
  const v = await t.data();
  t.dispose();
  return v as Float32Array;
};
const grad = await read(
  tf.tidy(() => {
    const g = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(logits(x as tf.Tensor4D), tf.oneHot(tf.tensor1d([0], 'int32'), CLASSES))),
    );
    return g(tf.tensor4d(images.slice(0, SIZE * SIZE * 3), [1, SIZE, SIZE, 3]));
  }),
);
const logit0 = async (img: Float32Array) =>
  (await read(tf.tidy(() => logits(tf.tensor4d(img, [1, SIZE, SIZE, 3])))))[0]!;
const eps = 1e-2;
const fd: { analytic: number; numeric: number }[] = [];
for (const at of [5 * 3, (SIZE * 7 + 9) * 3 + 1, (SIZE * 12 + 3) * 3 + 2]) {
  const plus = images.slice(0, SIZE * SIZE * 3);
  const minus = plus.slice();
  plus[at]! += eps;
  minus[at]! -= eps;
  fd.push({
    analytic: grad[at]!,
    numeric: ((await logit0(plus)) - (await logit0(minus))) / (2 * eps),
  });
}

// The rank ≥ 5 broadcasts webgpu-kernels.ts corrects, both operand orders, plus a rank-4 control.
const kernels: Record<string, number[]> = {};
const k5 = tf.tensor5d(clips(new Rng(3, 'k5'), 2, 2).slice(0, 2 * 2 * 3 * 3 * 3), [2, 2, 3, 3, 3]);
const k1 = tf.tensor1d([0.299, -0.587, 1.5]);
const ops = { add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, maximum: tf.maximum };
for (const [name, op] of Object.entries(ops)) {
  kernels[`${name}(5d,1d)`] = Array.from(await read(op(k5, k1)));
  kernels[`${name}(1d,5d)`] = Array.from(await read(op(k1, k5)));
  kernels[`${name}(4d,1d)`] = Array.from(await read(op(k5.reshape([4, 3, 3, 3]), k1)));
}
kernels['squaredDifference(5d,1d)'] = Array.from(await read(tf.squaredDifference(k5, k1)));
kernels['greater(5d,1d)'] = Array.from(await read(tf.cast(tf.greater(k5, k1), 'float32')));
// Next-frame SSIM (evaluation/prediction.ts: a depthwise Gaussian window, async reads).
const pair = clips(new Rng(4, 'ssim'), 2, 2);
kernels['ssimPerImage'] = Array.from(
  await ssimPerImage(
    tf.tensor4d(pair.subarray(0, 2 * SIZE * SIZE * 3), [2, SIZE, SIZE, 3]),
    tf.tensor4d(pair.subarray(2 * SIZE * SIZE * 3), [2, SIZE, SIZE, 3]),
  ),
);

console.log(
  JSON.stringify({
    kernels,
    backend: backend.name,
    reason: backend.reason,
    added: backend.addedKernels,
    losses,
    saliency: Array.from(maps),
    fd,
  }),
);
