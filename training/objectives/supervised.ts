/**
 * The "ImageNet-style" baseline: the same encoder, a linear classifier on its embedding, softmax
 * cross-entropy on each sequence's category (loader.ts `sequenceLabel`), single frames.
 */
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../../core/index.ts';
import { createEncoder } from '../encoder.ts';
import type { Batch } from '../loader.ts';
import type { Objective } from '../objective.ts';
import { Params } from '../params.ts';

export const supervisedObjective: Objective = {
  name: 'supervised',
  description: 'category labels from the sample JSON, softmax cross-entropy (the baseline diet)',
  needs: (c) => ({ clipLength: c.clip ?? 1, eyes: 'left', labels: true }),
  create({ config, shape, rng }) {
    if (shape.numClasses < 2) {
      throw new DatadietError(
        'MODEL_DATA_MISMATCH',
        `supervised training needs at least 2 categories; the data has ${shape.numClasses}`,
        { hint: 'use a dataset whose manifest lists the object categories' },
      );
    }
    const params = new Params(rng.fork('init'));
    const encoder = createEncoder(params, config.encoder);
    const head = params.dense('classifier', config.encoder.embedding, shape.numClasses);
    const logits = (batch: Batch) => {
      const [b, t, h, w] = batch.left.shape;
      const x = batch.left.reshape([b * t, h, w, 3]) as tf.Tensor4D;
      const e = encoder.apply(x).embedding;
      return tf.add(tf.matMul(e, head.w as tf.Tensor2D), head.b) as tf.Tensor2D;
    };
    const targets = (batch: Batch) => {
      if (!batch.labels) throw new Error('supervised: batch has no labels');
      const t = batch.left.shape[1];
      // Every frame of a clip carries its sequence's label.
      const l = tf.tile(batch.labels.reshape([-1, 1]), [1, t]).reshape([-1]) as tf.Tensor1D;
      return tf.oneHot(l, shape.numClasses);
    };
    return {
      params,
      encode: (x) => encoder.apply(x),
      loss: (batch) => tf.losses.softmaxCrossEntropy(targets(batch), logits(batch)) as tf.Scalar,
      async metrics(batch) {
        const accuracy = tf.tidy(() => {
          const correct = tf.equal(tf.argMax(logits(batch), 1), tf.argMax(targets(batch), 1));
          return tf.mean(tf.cast(correct, 'float32'));
        });
        const v = (await accuracy.data())[0]!;
        accuracy.dispose();
        return { accuracy: +v.toFixed(4) };
      },
    };
  },
};
