/** Tests only: a run folder with one checkpoint of seeded random weights (no data, no training). */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/index.ts';
import {
  buildModel,
  CHECKPOINT_FORMAT,
  saveCheckpoint,
  TrainConfigSchema,
  type TrainConfigInput,
} from '../training/index.ts';

export async function fakeRun(o: {
  dir: string;
  config: TrainConfigInput;
  height: number;
  width: number;
  numClasses?: number;
}): Promise<string> {
  const config = TrainConfigSchema.parse(o.config);
  const shape = { height: o.height, width: o.width, numClasses: o.numClasses ?? 4 };
  const model = buildModel(config, shape);
  // Every weight random (biases, SFA mean and projection too), so no term of the graph hides.
  const rng = new Rng(7, 'fake-run');
  for (const [name, v] of model.params.vars) {
    const r = rng.fork(name);
    const scale = name.endsWith('/bias') ? 0.2 : Math.sqrt(2 / Math.max(1, v.shape.at(-2) ?? 1));
    const normal = () =>
      tf.tensor(
        Float32Array.from({ length: v.size }, () => r.normal()),
        v.shape,
      );
    // Statistics must be statistics: positive spreads, a correlation matrix, a batch count.
    if (/\/(running_variance|target_std)$/.test(name)) v.assign(tf.add(tf.abs(normal()), 0.5));
    else if (name.endsWith('/running_corr')) {
      const a = normal() as tf.Tensor2D;
      const cov = tf.add(tf.matMul(a, a, false, true), tf.eye(v.shape[0]!));
      const std = tf.sqrt(tf.sum(tf.mul(cov, tf.eye(v.shape[0]!)), 1)) as tf.Tensor1D;
      v.assign(tf.div(cov, tf.outerProduct(std, std)));
    } else if (name.endsWith('/running_count')) v.assign(tf.scalar(20));
    else v.assign(tf.mul(normal(), scale));
  }
  const path = await saveCheckpoint({
    runDir: o.dir,
    meta: {
      format: CHECKPOINT_FORMAT,
      step: 5,
      objective: config.objective,
      config,
      shape,
      backend: tf.getBackend(),
    },
    params: model.params,
  });
  model.params.dispose();
  return path;
}
