/**
 * `sfa-linear`: classic closed-form linear SFA (sfa-linear.ts) on the pooled features of the
 * untrained, seeded encoder — the baseline deep SFA must beat. The encoder is initialised exactly
 * as `sfa`'s is for the same seed and encoder flags, so the two runs share their starting point.
 * Fitted in one pass over the training split; no gradient steps.
 */
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../../core/index.ts';
import { createEncoder } from '../encoder.ts';
import { sequenceFeatures } from '../features.ts';
import type { Objective } from '../objective.ts';
import { Params } from '../params.ts';
import { fitLinearSfa } from '../sfa-linear.ts';

export const sfaLinearObjective: Objective = {
  name: 'sfa-linear',
  description: 'closed-form linear SFA on the untrained encoder’s pooled features (a baseline)',
  needs: (c) => ({ clipLength: c.clip ?? 2, eyes: 'left', labels: false }),
  create({ config, rng }) {
    const params = new Params(rng.fork('init'));
    const encoder = createEncoder(params, config.encoder);
    const p = encoder.pooledDim;
    const d = config.encoder.embedding;
    const mean = params.add('sfa_linear/mean', [p], { kind: 'zeros' });
    const projection = params.add('sfa_linear/projection', [p, d], { kind: 'zeros' });
    const encode = (x: tf.Tensor4D) => {
      const { pooled } = encoder.apply(x);
      return { pooled, embedding: tf.matMul(tf.sub(pooled, mean), projection) as tf.Tensor2D };
    };
    return {
      params,
      encode,
      loss: () => {
        throw new Error('sfa-linear is fitted in closed form, not by gradient steps');
      },
      async fit({ data, heldOutEvery, size }) {
        const feats = await sequenceFeatures({
          dir: data,
          apply: (x) => encoder.apply(x).pooled,
          split: heldOutEvery > 0 ? 'train' : 'all',
          heldOutEvery,
          size,
        });
        let sfa;
        try {
          sfa = fitLinearSfa({ sequences: feats.sequences, dim: p, outputs: d });
        } catch (e) {
          throw new DatadietError('MODEL_DATA_MISMATCH', `sfa-linear: ${(e as Error).message}`, {
            hint: 'ask for fewer outputs (--embedding) or give the encoder more channels (--width)',
          });
        }
        mean.assign(tf.tensor1d(Float32Array.from(sfa.mean)));
        projection.assign(tf.tensor2d(Float32Array.from(sfa.projection), [p, d]));
        return {
          delta: sfa.trainDeltas.map((v) => +v.toFixed(5)),
          sequences: feats.sequences.length,
        };
      },
    };
  },
};
