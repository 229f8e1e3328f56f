/**
 * The conv encoder shared by every objective: `depth` strided 3×3 convs with ReLU (channels
 * width·2^i, capped at maxWidth), global average pooling, and a linear layer to `embedding` dims.
 * The benchmark size is 64×64×3 input, depth 3, width 32. With `antialias` each strided conv
 * becomes a stride-1 conv + ReLU followed by a fixed blur and stride-2 subsampling (blur-pool).
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { blurPool } from './blur-pool.ts';
import type { Params } from './params.ts';

export const EncoderConfigSchema = z
  .strictObject({
    width: z.number().int().min(1).max(1024).default(16),
    depth: z.number().int().min(1).max(8).default(3),
    maxWidth: z.number().int().min(1).max(4096).default(256),
    kernel: z.number().int().min(1).max(9).default(3),
    stride: z.number().int().min(1).max(4).default(2),
    embedding: z.number().int().min(1).max(4096).default(32),
    /**
     * Blur-pool (Zhang 2019) instead of strided convs: the saliency maps of strided convs carry
     * their stride's checkerboard. Off by default, so existing runs and checkpoints are unchanged.
     */
    antialias: z.boolean().default(false),
  })
  // tfjs-wasm's forward conv with 'same' padding is wrong (relative error 1.0 against the cpu
  // backend) whenever the padding it needs is negative, which only a stride larger than the
  // kernel allows (tfjs #5907, #8405); our gradient kernels stay right, so forward and backward
  // would disagree. Such a conv also skips pixels outright. Refused everywhere, not per backend,
  // so a config means the same model on every machine (encoder.test.ts measures both sides).
  .refine((c) => c.stride <= c.kernel, {
    path: ['stride'],
    message:
      'must not exceed the kernel size: a stride larger than the kernel skips pixels, and tfjs-wasm computes such convolutions wrongly',
  })
  // The blur is [1,2,1]⊗[1,2,1]/16, the anti-aliasing filter for subsampling by 2 only.
  .refine((c) => !c.antialias || c.stride === 2, {
    path: ['antialias'],
    message: 'blur-pool subsamples by 2: it needs stride 2 (the default)',
  });
export type EncoderConfig = z.infer<typeof EncoderConfigSchema>;

export interface Encoder {
  config: EncoderConfig;
  /** Channels of the pooled conv features (before the linear embedding). */
  pooledDim: number;
  /** x [N, H, W, 3] in [0, 1] → { pooled [N, C], embedding [N, E] } */
  apply(x: tf.Tensor4D): { pooled: tf.Tensor2D; embedding: tf.Tensor2D };
}

export function channelsOf(c: EncoderConfig): number[] {
  return Array.from({ length: c.depth }, (_, i) => Math.min(c.maxWidth, c.width * 2 ** i));
}

export function createEncoder(params: Params, config: EncoderConfig, prefix = 'encoder'): Encoder {
  const chans = channelsOf(config);
  const convs = chans.map((co, i) =>
    params.conv(`${prefix}/conv${i}`, config.kernel, i === 0 ? 3 : (chans[i - 1] as number), co),
  );
  const pooledDim = chans[chans.length - 1] as number;
  const head = params.dense(`${prefix}/embedding`, pooledDim, config.embedding);
  return {
    config,
    pooledDim,
    apply(x) {
      let h: tf.Tensor4D = tf.sub(x, 0.5);
      for (const c of convs) {
        // Fused conv + bias + ReLU: one kernel call forward (wasm and webgpu have FusedConv2D).
        h = tf.fused.conv2d({
          x: h,
          filter: c.w as tf.Tensor4D,
          strides: config.antialias ? 1 : config.stride,
          pad: 'same',
          bias: c.b,
          activation: 'relu',
        });
        // Zhang's order: conv (stride 1) → ReLU → blur → subsample.
        if (config.antialias) h = blurPool(h);
      }
      const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
      const embedding = tf.add(tf.matMul(pooled, head.w as tf.Tensor2D), head.b) as tf.Tensor2D;
      return { pooled, embedding };
    },
  };
}
