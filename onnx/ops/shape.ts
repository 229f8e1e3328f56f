/**
 * Shape and data-movement operators. Shapes, axes and indices are small int32 tensors read
 * eagerly (torch.onnx.export computes flatten/reshape targets with Shape → Gather → Concat).
 */
import * as tf from '@tensorflow/tfjs';
import { DataType } from '../proto.ts';
import { ints } from '../tensors.ts';
import { need, unsupported, type OpContext, type OpDef } from './types.ts';

const axisOf = (a: number, rank: number) => (a < 0 ? a + rank : a);

function Reshape(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  const allowZero = ctx.attr.int('allowzero', 0) === 1;
  const shape = ints(need(ctx, 1)).map((d, i) => (d === 0 && !allowZero ? x.shape[i]! : d));
  return [x.reshape(shape)];
}

function Flatten(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  const axis = axisOf(ctx.attr.int('axis', 1), x.rank);
  const lead = x.shape.slice(0, axis).reduce((p, v) => p * v, 1);
  return [x.reshape([lead, -1])];
}

function axesArg(ctx: OpContext, movedAt: number): number[] {
  return ctx.opset >= movedAt ? ints(ctx.inputs[1]) : ctx.attr.ints('axes');
}

function Unsqueeze(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  const axes = axesArg(ctx, 13);
  const rank = x.rank + axes.length;
  const ax = new Set(axes.map((a) => axisOf(a, rank)));
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(ax.has(i) ? 1 : x.shape[j++]!);
  return [x.reshape(shape)];
}

function Squeeze(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  const axes = axesArg(ctx, 13).map((a) => axisOf(a, x.rank));
  return [axes.length ? tf.squeeze(x, axes) : tf.squeeze(x)];
}

function Shape(ctx: OpContext): tf.Tensor[] {
  const shape = need(ctx, 0).shape;
  const n = shape.length;
  const clamp = (v: number) => Math.max(0, Math.min(n, v < 0 ? v + n : v));
  const start = clamp(ctx.attr.int('start', 0));
  const end = clamp(ctx.attr.int('end', n));
  return [tf.tensor1d(shape.slice(start, end), 'int32')];
}

function Gather(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  const idx = need(ctx, 1);
  const axis = axisOf(ctx.attr.int('axis', 0), x.rank);
  const dim = x.shape[axis]!;
  const flat = ints(idx).map((i) => (i < 0 ? i + dim : i));
  const out = tf.gather(x, tf.tensor1d(flat, 'int32'), axis);
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  return [out.reshape(shape)];
}

function Slice(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  if (ctx.opset < 10) throw unsupported(ctx, 'Slice before opset 10 (attribute form)');
  const starts = ints(need(ctx, 1));
  const ends = ints(need(ctx, 2));
  const axes = ctx.inputs[3] ? ints(ctx.inputs[3]) : starts.map((_, i) => i);
  const steps = ctx.inputs[4] ? ints(ctx.inputs[4]) : starts.map(() => 1);
  const begin = x.shape.map(() => 0);
  const end = x.shape.slice();
  const stride = x.shape.map(() => 1);
  axes.forEach((a0, i) => {
    const a = axisOf(a0, x.rank);
    const dim = x.shape[a]!;
    const step = steps[i]!;
    const norm = (v: number, lo: number, hi: number) =>
      Math.max(lo, Math.min(hi, v < 0 ? v + dim : v));
    if (step > 0) {
      begin[a] = norm(starts[i]!, 0, dim);
      end[a] = norm(ends[i]!, 0, dim);
    } else {
      begin[a] = norm(starts[i]!, -1, dim - 1);
      end[a] = ends[i]! < -dim ? -dim - 1 : norm(ends[i]!, -1, dim - 1);
    }
    stride[a] = step;
  });
  // tfjs stridedSlice: a negative end would wrap, so "before index 0" is spelled with a mask.
  let endMask = 0;
  end.forEach((e, a) => {
    if (e < 0) endMask |= 1 << a;
  });
  return [tf.stridedSlice(x, begin, end, stride, 0, endMask)];
}

function Concat(ctx: OpContext): tf.Tensor[] {
  const xs = ctx.inputs.filter((t): t is tf.Tensor => t !== undefined && t.size > 0);
  const rank = need(ctx, 0).rank;
  if (xs.length === 0) return [need(ctx, 0)];
  return [tf.concat(xs, axisOf(ctx.attr.int('axis', 0), rank))];
}

function Split(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  const axis = axisOf(ctx.attr.int('axis', 0), x.rank);
  const n = (ctx.node.output ?? []).length;
  const sizes = ctx.opset >= 13 ? ints(ctx.inputs[1]) : ctx.attr.ints('split');
  return tf.split(x, sizes.length ? sizes : n, axis);
}

function Transpose(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  const perm = ctx.attr.ints(
    'perm',
    x.shape.map((_, i) => x.rank - 1 - i),
  );
  return [tf.transpose(x, perm)];
}

function Constant(ctx: OpContext): tf.Tensor[] {
  const t = ctx.attr.tensor('value');
  if (t) return [t];
  if (ctx.attr.has('value_float')) return [tf.scalar(ctx.attr.float('value_float', 0))];
  if (ctx.attr.has('value_floats')) return [tf.tensor1d(ctx.attr.floats('value_floats') ?? [])];
  if (ctx.attr.has('value_int')) return [tf.scalar(ctx.attr.int('value_int', 0), 'int32')];
  if (ctx.attr.has('value_ints')) return [tf.tensor1d(ctx.attr.ints('value_ints'), 'int32')];
  throw unsupported(ctx, 'a Constant without value/value_float(s)/value_int(s)');
}

function ConstantOfShape(ctx: OpContext): tf.Tensor[] {
  const shape = ints(need(ctx, 0));
  const v = ctx.attr.tensor('value');
  const value = v ? v.dataSync()[0]! : 0;
  return [tf.fill(shape, value, v?.dtype === 'int32' ? 'int32' : 'float32')];
}

function Cast(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  const to = ctx.attr.int('to', DataType.FLOAT);
  if (to === DataType.FLOAT || to === DataType.DOUBLE || to === DataType.FLOAT16)
    return [tf.cast(x, 'float32')];
  if (to === DataType.BOOL) return [tf.cast(x, 'bool')];
  return [x.dtype === 'float32' ? tf.cast(tf.round(x), 'int32') : tf.cast(x, 'int32')];
}

function Expand(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  const shape = ints(need(ctx, 1));
  const rank = Math.max(x.rank, shape.length);
  const xs = [...new Array<number>(rank - x.rank).fill(1), ...x.shape];
  const ss = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const target = xs.map((d, i) => (d === 1 ? ss[i]! : d));
  return [tf.broadcastTo(x.reshape(xs), target)];
}

function Range(ctx: OpContext): tf.Tensor[] {
  const [start, limit, delta] = [0, 1, 2].map((i) => need(ctx, i).dataSync()[0]!);
  const dtype = need(ctx, 0).dtype === 'int32' ? 'int32' : 'float32';
  return [tf.range(start!, limit!, delta!, dtype)];
}

function Pad(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  const mode = ctx.attr.string('mode', 'constant');
  const pads = ctx.opset >= 11 ? ints(need(ctx, 1)) : ctx.attr.ints('pads');
  const value = ctx.opset >= 11 ? (ctx.inputs[2]?.dataSync()[0] ?? 0) : ctx.attr.float('value', 0);
  const axes = ctx.inputs[3]
    ? ints(ctx.inputs[3]).map((a) => axisOf(a, x.rank))
    : x.shape.map((_, i) => i);
  const p: [number, number][] = x.shape.map(() => [0, 0]);
  axes.forEach((a, i) => (p[a] = [pads[i]!, pads[i + axes.length]!]));
  if (p.some(([b, e]) => b < 0 || e < 0)) throw unsupported(ctx, 'negative pads (cropping)');
  if (mode === 'constant') return [tf.pad(x, p, value)];
  if (mode === 'reflect') return [tf.mirrorPad(x, p, 'reflect')];
  throw unsupported(ctx, `Pad mode "${mode}"`);
}

function Dropout(ctx: OpContext): tf.Tensor[] {
  const x = need(ctx, 0);
  // Inference: identity; the optional mask output is all true.
  return (ctx.node.output ?? []).length > 1 ? [x, tf.onesLike(x).cast('bool')] : [x];
}

export const SHAPE_OPS: OpDef[] = [
  { name: 'Reshape', run: Reshape },
  { name: 'Flatten', run: Flatten },
  { name: 'Unsqueeze', run: Unsqueeze },
  { name: 'Squeeze', run: Squeeze },
  { name: 'Shape', run: Shape },
  { name: 'Gather', run: Gather },
  { name: 'Slice', run: Slice },
  { name: 'Concat', run: Concat },
  { name: 'Split', run: Split },
  { name: 'Transpose', run: Transpose },
  { name: 'Constant', run: Constant },
  { name: 'ConstantOfShape', run: ConstantOfShape },
  { name: 'Cast', run: Cast },
  { name: 'Expand', run: Expand },
  { name: 'Range', run: Range },
  { name: 'Pad', run: Pad },
  { name: 'Identity', run: (ctx) => [need(ctx, 0)] },
  { name: 'Dropout', run: Dropout },
];
