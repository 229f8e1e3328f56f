/**
 * Convolution, pooling and normalisation. ONNX tensors stay NCHW between nodes; these ops
 * transpose to tfjs's NHWC around the kernel (tfjs conv2d takes NHWC only on most backends).
 */
import * as tf from '@tensorflow/tfjs';
import { need, unsupported, type OpContext, type OpDef } from './types.ts';

const toNHWC = (x: tf.Tensor) => tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
const toNCHW = (x: tf.Tensor) => tf.transpose(x, [0, 3, 1, 2]) as tf.Tensor4D;

/** [top, left, bottom, right] padding from pads / auto_pad, plus any ceil_mode extra. */
function padding(
  ctx: OpContext,
  o: { size: [number, number]; kernel: number[]; strides: number[]; dilations: number[] },
): [number, number, number, number] {
  const autoPad = ctx.attr.string('auto_pad', 'NOTSET');
  const eff = o.kernel.map((k, i) => (k - 1) * (o.dilations[i] ?? 1) + 1);
  let pads: number[];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) {
      const s = o.strides[i]!;
      const total = Math.max(0, (Math.ceil(o.size[i]! / s) - 1) * s + eff[i]! - o.size[i]!);
      const small = Math.floor(total / 2);
      const [b, e] = autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
      pads[i] = b;
      pads[i + 2] = e;
    }
  } else if (autoPad === 'VALID') pads = [0, 0, 0, 0];
  else pads = ctx.attr.ints('pads', [0, 0, 0, 0]);
  if (ctx.attr.int('ceil_mode', 0) === 1) {
    for (let i = 0; i < 2; i++) {
      const span = o.size[i]! + pads[i]! + pads[i + 2]! - eff[i]!;
      let out = Math.ceil(span / o.strides[i]!) + 1;
      // The last window must start inside the input or the left padding (PyTorch, ONNX ≥ 16).
      if ((out - 1) * o.strides[i]! >= o.size[i]! + pads[i]!) out--;
      pads[i + 2]! += Math.max(
        0,
        (out - 1) * o.strides[i]! + eff[i]! - (o.size[i]! + pads[i]! + pads[i + 2]!),
      );
    }
  }
  return pads as [number, number, number, number];
}

function pad2d(x: tf.Tensor4D, p: number[], value = 0): tf.Tensor4D {
  if (p.every((v) => v === 0)) return x;
  return tf.pad(
    x,
    [
      [0, 0],
      [p[0]!, p[2]!],
      [p[1]!, p[3]!],
      [0, 0],
    ],
    value,
  );
}

function spatial(ctx: OpContext, x: tf.Tensor): void {
  if (x.rank !== 4)
    throw unsupported(ctx, `only 2-D (NCHW) inputs are supported, got rank ${x.rank}`);
}

/**
 * A 'valid' depthwise conv whose input gradient is itself a depthwise conv (of the zero-dilated
 * dy with the flipped kernel): tfjs-wasm has no DepthwiseConv2dNativeBackpropInput, and saliency
 * through MobileNets must work on every backend. The filter is a constant here (no filter grad).
 */
function depthwise(
  x: tf.Tensor4D,
  f: tf.Tensor4D,
  s: [number, number],
  d: [number, number],
): tf.Tensor4D {
  const run = tf.customGrad(((xIn: tf.Tensor) => {
    const xv = xIn as tf.Tensor4D;
    const value = tf.depthwiseConv2d(xv, f, s, 'valid', 'NHWC', d);
    const gradFunc = (dy: tf.Tensor) => {
      const [n, hp, wp, c] = xv.shape;
      const [kh, kw, , mult] = f.shape;
      const [ho, wo] = [dy.shape[1]!, dy.shape[2]!];
      let z = dy as tf.Tensor4D;
      if (s[0] > 1 || s[1] > 1) {
        z = tf
          .pad(dy.reshape([n, ho, 1, wo, 1, c * mult]), [
            [0, 0],
            [0, 0],
            [0, s[0] - 1],
            [0, 0],
            [0, s[1] - 1],
            [0, 0],
          ])
          .reshape([n, ho * s[0], wo * s[1], c * mult]);
        z = tf.slice(z, [0, 0, 0, 0], [n, (ho - 1) * s[0] + 1, (wo - 1) * s[1] + 1, -1]);
      }
      const [eh, ew] = [(kh - 1) * d[0], (kw - 1) * d[1]];
      z = tf.pad(z, [
        [0, 0],
        [eh, hp - z.shape[1]],
        [ew, wp - z.shape[2]],
        [0, 0],
      ]);
      const flipped = tf.reverse(f, [0, 1]).reshape([kh, kw, c * mult, 1]) as tf.Tensor4D;
      const dx = tf.depthwiseConv2d(z, flipped, 1, 'valid', 'NHWC', d);
      return mult === 1 ? dx : tf.sum(dx.reshape([n, hp, wp, c, mult]), 4);
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return run(x) as tf.Tensor4D;
}

const Conv: OpDef = {
  name: 'Conv',
  run(ctx) {
    const x = need(ctx, 0);
    const w = need(ctx, 1);
    spatial(ctx, x);
    const [M, Cg, kh, kw] = w.shape as [number, number, number, number];
    const C = x.shape[1]!;
    const group = ctx.attr.int('group', 1);
    const strides = ctx.attr.ints('strides', [1, 1]);
    const dilations = ctx.attr.ints('dilations', [1, 1]);
    const p = padding(ctx, {
      size: [x.shape[2]!, x.shape[3]!],
      kernel: [kh, kw],
      strides,
      dilations,
    });
    const xh = pad2d(toNHWC(x), p);
    const s: [number, number] = [strides[0]!, strides[1]!];
    const d: [number, number] = [dilations[0]!, dilations[1]!];
    let y: tf.Tensor4D;
    if (group === 1) {
      const f = tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D;
      y = tf.conv2d(xh, f, s, 'valid', 'NHWC', d);
    } else if (group === C && Cg === 1) {
      // Depthwise: output m reads input channel floor(m / (M / C)), as tfjs's channel multiplier.
      const f = tf.transpose(w, [2, 3, 0, 1]).reshape([kh, kw, C, M / C]) as tf.Tensor4D;
      y = depthwise(xh, f, s, d);
    } else {
      const xs = tf.split(xh, group, 3) as tf.Tensor4D[];
      const ws = tf.split(w, group, 0);
      y = tf.concat<tf.Tensor4D>(
        xs.map((xg, g) =>
          tf.conv2d(xg, tf.transpose(ws[g]!, [2, 3, 1, 0]) as tf.Tensor4D, s, 'valid', 'NHWC', d),
        ),
        3,
      );
    }
    const b = ctx.inputs[2];
    if (b) y = tf.add(y, b);
    return [toNCHW(y)];
  },
};

function poolGeometry(ctx: OpContext, x: tf.Tensor) {
  spatial(ctx, x);
  const kernel = ctx.attr.ints('kernel_shape');
  const strides = ctx.attr.ints('strides', [1, 1]);
  const dilations = ctx.attr.ints('dilations', [1, 1]);
  if (dilations.some((v) => v !== 1)) throw unsupported(ctx, 'dilated pooling');
  const p = padding(ctx, { size: [x.shape[2]!, x.shape[3]!], kernel, strides, dilations });
  return {
    k: [kernel[0]!, kernel[1]!] as [number, number],
    s: [strides[0]!, strides[1]!] as [number, number],
    p,
  };
}

const MaxPool: OpDef = {
  name: 'MaxPool',
  run(ctx) {
    const x = need(ctx, 0);
    if ((ctx.node.output ?? []).filter(Boolean).length > 1)
      throw unsupported(ctx, 'the Indices output');
    const { k, s, p } = poolGeometry(ctx, x);
    return [toNCHW(tf.maxPool(pad2d(toNHWC(x), p, -Infinity), k, s, 'valid'))];
  },
};

const AveragePool: OpDef = {
  name: 'AveragePool',
  run(ctx) {
    const x = need(ctx, 0);
    const { k, s, p } = poolGeometry(ctx, x);
    const xh = toNHWC(x);
    const sum = tf.mul(tf.avgPool(pad2d(xh, p), k, s, 'valid'), k[0] * k[1]);
    const declared = ctx.attr.ints('pads', [0, 0, 0, 0]);
    // Divide by the window's count of real pixels (count_include_pad=0) or of declared padding
    // too; ceil_mode's extra cells are never counted (PyTorch's rule).
    const ones = tf.onesLike(tf.slice(xh, [0, 0, 0, 0], [1, -1, -1, 1]));
    const countPad =
      ctx.attr.int('count_include_pad', 0) === 1
        ? pad2d(
            pad2d(ones, declared, 1),
            p.map((v, i) => v - (declared[i] ?? 0)),
            0,
          )
        : pad2d(ones, p, 0);
    const count = tf.mul(tf.avgPool(countPad, k, s, 'valid'), k[0] * k[1]);
    return [toNCHW(tf.div(sum, count))];
  },
};

const GlobalAveragePool: OpDef = {
  name: 'GlobalAveragePool',
  run: (ctx) => [tf.mean(need(ctx, 0), [2, 3], true)],
};

const GlobalMaxPool: OpDef = {
  name: 'GlobalMaxPool',
  run: (ctx) => [tf.max(need(ctx, 0), [2, 3], true)],
};

/** [C] → broadcastable over NC… */
const perChannel = (t: tf.Tensor, rank: number) =>
  t.reshape([1, t.shape[0]!, ...new Array<number>(Math.max(0, rank - 2)).fill(1)]);

const BatchNormalization: OpDef = {
  name: 'BatchNormalization',
  run(ctx) {
    const x = need(ctx, 0);
    if (ctx.attr.int('training_mode', 0) === 1) throw unsupported(ctx, 'training_mode=1');
    const eps = ctx.attr.float('epsilon', 1e-5);
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => perChannel(need(ctx, i), x.rank));
    const inv = tf.div(scale!, tf.sqrt(tf.add(variance!, eps)));
    return [tf.add(tf.mul(tf.sub(x, mean!), inv), bias!)];
  },
};

const LayerNormalization: OpDef = {
  name: 'LayerNormalization',
  run(ctx) {
    const x = need(ctx, 0);
    let axis = ctx.attr.int('axis', -1);
    if (axis < 0) axis += x.rank;
    const axes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
    const eps = ctx.attr.float('epsilon', 1e-5);
    const { mean, variance } = tf.moments(x, axes, true);
    let y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
    y = tf.mul(y, need(ctx, 1));
    if (ctx.inputs[2]) y = tf.add(y, ctx.inputs[2]);
    return [y];
  },
};

const InstanceNormalization: OpDef = {
  name: 'InstanceNormalization',
  run(ctx) {
    const x = need(ctx, 0);
    const eps = ctx.attr.float('epsilon', 1e-5);
    const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 2);
    const { mean, variance } = tf.moments(x, axes, true);
    const y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
    return [tf.add(tf.mul(y, perChannel(need(ctx, 1), x.rank)), perChannel(need(ctx, 2), x.rank))];
  },
};

export const CONV_POOL_OPS: OpDef[] = [
  Conv,
  MaxPool,
  AveragePool,
  GlobalAveragePool,
  GlobalMaxPool,
  BatchNormalization,
  LayerNormalization,
  InstanceNormalization,
];
