/** Element-wise, activation, matrix and reduction operators (numpy broadcasting, as tfjs). */
import * as tf from '@tensorflow/tfjs';
import { ints } from '../tensors.ts';
import { need, unsupported, type OpContext, type OpDef } from './types.ts';

const unary = (name: string, f: (x: tf.Tensor, ctx: OpContext) => tf.Tensor): OpDef => ({
  name,
  run: (ctx) => [f(need(ctx, 0), ctx)],
});

const binary = (name: string, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpDef => ({
  name,
  run: (ctx) => [f(need(ctx, 0), need(ctx, 1))],
});

/** ONNX integer division truncates; tfjs's div on int32 floors, fine for the shapes it sees. */
const div = (a: tf.Tensor, b: tf.Tensor) =>
  a.dtype === 'int32' && b.dtype === 'int32' ? tf.floorDiv(a, b) : tf.div(a, b);

const hardSigmoid = (x: tf.Tensor, alpha: number, beta: number) =>
  tf.clipByValue(tf.add(tf.mul(x, alpha), beta), 0, 1);

function Clip(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  let lo = -Infinity;
  let hi = Infinity;
  if (ctx.opset < 11) {
    lo = ctx.attr.float('min', lo);
    hi = ctx.attr.float('max', hi);
  } else {
    if (ctx.inputs[1]) lo = ctx.inputs[1].dataSync()[0]!;
    if (ctx.inputs[2]) hi = ctx.inputs[2].dataSync()[0]!;
  }
  // tfjs clipByValue passes gradient only strictly inside (lo, hi), as PyTorch's hardtanh does.
  return [tf.clipByValue(x, lo, hi)];
}

/** Reduction axes: an attribute up to the opset that moved them to input 1. */
function reduceAxes(ctx: OpContext, movedAt: number): number[] | undefined {
  const axes = ctx.opset >= movedAt ? ints(ctx.inputs[1]) : ctx.attr.ints('axes');
  if (axes.length === 0) {
    return ctx.attr.int('noop_with_empty_axes', 0) === 1 ? [] : undefined;
  }
  return axes;
}

const reduce = (
  name: string,
  movedAt: number,
  f: (x: tf.Tensor, axes: number[] | undefined, keep: boolean) => tf.Tensor,
): OpDef => ({
  name,
  run(ctx) {
    const x = need(ctx, 0);
    const axes = reduceAxes(ctx, movedAt);
    if (axes && axes.length === 0) return [x];
    return [f(x, axes, ctx.attr.int('keepdims', 1) === 1)];
  },
});

function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank === 2 && b.rank === 2) return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  if (b.rank === 2) {
    // [..., K] @ [K, N]: one 2-D product over the flattened leading dimensions.
    const lead = a.shape.slice(0, -1);
    const out = tf.matMul(a.reshape([-1, a.shape[a.rank - 1]!]) as tf.Tensor2D, b as tf.Tensor2D);
    return out.reshape([...lead, b.shape[1]!]);
  }
  if (a.rank === b.rank) return tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D);
  const rank = Math.max(a.rank, b.rank);
  const up = (t: tf.Tensor) => t.reshape([...new Array<number>(rank - t.rank).fill(1), ...t.shape]);
  return tf.matMul(up(a) as tf.Tensor3D, up(b) as tf.Tensor3D);
}

function Gemm(ctx: OpContext): tf.Tensor[] {
  const a = need(ctx, 0) as tf.Tensor2D;
  const b = need(ctx, 1) as tf.Tensor2D;
  const alpha = ctx.attr.float('alpha', 1);
  const beta = ctx.attr.float('beta', 1);
  let y: tf.Tensor = tf.matMul(
    a,
    b,
    ctx.attr.int('transA', 0) === 1,
    ctx.attr.int('transB', 0) === 1,
  );
  if (alpha !== 1) y = tf.mul(y, alpha);
  const c = ctx.inputs[2];
  if (c) y = tf.add(y, beta === 1 ? c : tf.mul(c, beta));
  return [y];
}

function Softmax(ctx: OpContext, log: boolean): tf.Tensor[] {
  const x = need(ctx, 0);
  let axis = ctx.attr.int('axis', ctx.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += x.rank;
  const f = (t: tf.Tensor) => (log ? tf.logSoftmax(t) : tf.softmax(t));
  if (ctx.opset < 13) {
    // Opset < 13 flattens to [prod(before axis), prod(from axis)].
    const lead = x.shape.slice(0, axis).reduce((p, v) => p * v, 1);
    return [f(x.reshape([lead, -1])).reshape(x.shape)];
  }
  if (axis === x.rank - 1) return [f(x)];
  const perm = x.shape.map((_, i) => i);
  perm[axis] = x.rank - 1;
  perm[x.rank - 1] = axis;
  return [tf.transpose(f(tf.transpose(x, perm)), perm)];
}

export const ELEMENTWISE_OPS: OpDef[] = [
  binary('Add', tf.add),
  binary('Sub', tf.sub),
  binary('Mul', tf.mul),
  binary('Div', div),
  binary('Pow', (a, b) => {
    // x² (LayerNorm's variance) as a product: tfjs pow's gradient is NaN at x = 0.
    if (b.size === 1 && b.dataSync()[0] === 2) return tf.mul(a, a);
    return tf.pow(a, b);
  }),
  binary('Equal', tf.equal),
  binary('Less', tf.less),
  binary('Greater', tf.greater),
  { name: 'Max', run: (ctx) => [ctx.inputs.reduce((p, t) => tf.maximum(p!, t!))!] },
  { name: 'Min', run: (ctx) => [ctx.inputs.reduce((p, t) => tf.minimum(p!, t!))!] },
  { name: 'Sum', run: (ctx) => [tf.addN(ctx.inputs as tf.Tensor[])] },
  { name: 'Where', run: (ctx) => [tf.where(need(ctx, 0), need(ctx, 1), need(ctx, 2))] },
  unary('Relu', tf.relu),
  unary('LeakyRelu', (x, ctx) => tf.leakyRelu(x, ctx.attr.float('alpha', 0.01))),
  unary('Elu', (x, ctx) => {
    const a = ctx.attr.float('alpha', 1);
    return a === 1 ? tf.elu(x) : tf.where(tf.greater(x, 0), x, tf.mul(tf.sub(tf.exp(x), 1), a));
  }),
  unary('Sigmoid', tf.sigmoid),
  unary('Tanh', tf.tanh),
  unary('Erf', tf.erf),
  unary('Exp', tf.exp),
  unary('Log', tf.log),
  unary('Sqrt', tf.sqrt),
  unary('Neg', tf.neg),
  unary('Abs', tf.abs),
  unary('Reciprocal', tf.reciprocal),
  unary('Floor', tf.floor),
  unary('Ceil', tf.ceil),
  unary('Not', tf.logicalNot),
  unary('Softplus', tf.softplus),
  unary('HardSigmoid', (x, ctx) =>
    hardSigmoid(x, ctx.attr.float('alpha', 0.2), ctx.attr.float('beta', 0.5)),
  ),
  unary('HardSwish', (x) => tf.mul(x, hardSigmoid(x, 1 / 6, 0.5))),
  unary('Gelu', (x, ctx) => {
    if (ctx.attr.string('approximate', 'none') !== 'none')
      throw unsupported(ctx, 'approximate Gelu');
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
  }),
  { name: 'Clip', run: Clip },
  { name: 'Gemm', run: Gemm },
  binary('MatMul', matMul),
  { name: 'Softmax', run: (ctx) => Softmax(ctx, false) },
  { name: 'LogSoftmax', run: (ctx) => Softmax(ctx, true) },
  reduce('ReduceMean', 18, (x, a, k) => tf.mean(x, a, k)),
  reduce('ReduceSum', 13, (x, a, k) => tf.sum(x, a, k)),
  reduce('ReduceMax', 18, (x, a, k) => tf.max(x, a, k)),
  reduce('ReduceMin', 18, (x, a, k) => tf.min(x, a, k)),
  reduce('ReduceProd', 18, (x, a, k) => tf.prod(x, a, k)),
];
