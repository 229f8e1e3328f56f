/**
 * Streaming training (`train --stream`): training images/s while rendering into the trainer,
 * against the slower of its two parts measured in the same run, in the same unit (images the
 * trainer consumes: clips × frames per clip):
 *   render-only — the stream source through the loader, batches made and dropped;
 *   train-only  — optimisation steps on one batch held in memory;
 *   streaming   — `train({ stream })`, steady state (first steps dropped).
 * Target (issue 20): streaming ≥ 90 % of min(render-only, train-only).
 */
import * as tf from '@tensorflow/tfjs';
import { tempDir } from '../core/index.ts';
import { resolveSpec } from '../scenes/index.ts';
import {
  TrainConfigSchema,
  buildModel,
  createLoader,
  disposeBatch,
  findObjective,
  selectBackend,
  train,
  streamSource,
} from '../training/index.ts';
import { pct, ratioTarget, type Target } from './stats.ts';

type Log = (line: string) => void;

export async function benchStream(
  log: Log,
  opts: { size?: number; steps?: number; workers?: number } = {},
): Promise<Target[]> {
  const size = opts.size ?? 32;
  const steps = opts.steps ?? 24;
  const workers = opts.workers ?? 1;
  const spec = {
    ...(await resolveSpec({
      preset: 'default',
      overrides: { width: size, height: size, frames: 8 },
    })),
    layers: ['rgb' as const],
  };
  const config = TrainConfigSchema.parse({
    objective: 'sfa',
    steps,
    batch: 16,
    clip: 4,
    shuffleBuffer: 64,
    checkpointEvery: 1_000_000,
    encoder: { width: 8, embedding: 8 },
  });
  const backend = await selectBackend('wasm');
  const needs = findObjective('sfa').needs(config);
  const imagesPerBatch = config.batch * needs.clipLength;
  const warm = 4;

  // Render-only: the same source and loader path as training, no optimisation.
  const { source, info } = await streamSource({ spec, workers });
  const loader = await createLoader(
    { batchSize: config.batch, clipLength: needs.clipLength, shuffleBuffer: config.shuffleBuffer },
    { source, info },
  );
  const it = loader.batches();
  let t0 = 0;
  let heldBatch;
  for (let i = 0; i < steps; i++) {
    const b = (await it.next()).value!;
    if (i === warm - 1) t0 = performance.now();
    if (i === 0) heldBatch = b;
    else disposeBatch(b);
  }
  const renderRate = ((steps - warm) * imagesPerBatch) / ((performance.now() - t0) / 1000);
  await it.return(undefined);

  // Train-only: full steps on one batch already in memory.
  const model = buildModel(config, { height: size, width: size, numClasses: info.numClasses });
  const optimizer = tf.train.adam(config.lr ?? 1e-3);
  const vars = model.params.list();
  let t1 = 0;
  for (let i = 0; i < steps; i++) {
    if (i === warm) t1 = performance.now();
    const cost = optimizer.minimize(() => model.loss(heldBatch!), true, vars);
    await cost?.data();
    cost?.dispose();
  }
  const trainRate = ((steps - warm) * imagesPerBatch) / ((performance.now() - t1) / 1000);
  disposeBatch(heldBatch!);
  model.params.dispose();
  optimizer.dispose();

  // Streaming: both at once, through `train`.
  const stamps: number[] = [];
  const r = await train({
    stream: { spec, workers },
    out: await tempDir('bench-stream'),
    backend: backend.name,
    config,
    onStep: () => stamps.push(performance.now()),
  });
  r.model.params.dispose();
  const streamRate =
    ((stamps.length - warm) * imagesPerBatch) /
    (((stamps.at(-1) as number) - (stamps[warm - 1] as number)) / 1000);
  log(
    `  stream ${size}² sfa, batch ${config.batch}×${needs.clipLength} frames, ${workers} render worker(s): render-only ${renderRate.toFixed(1)}, train-only ${trainRate.toFixed(1)}, streaming ${streamRate.toFixed(1)} training images/s`,
  );
  return [
    ratioTarget({
      name: 'train --stream vs min(render, train)',
      value: streamRate,
      peer: Math.min(renderRate, trainRate),
      threshold: 0.9,
      format: pct,
      detail: `${streamRate.toFixed(1)} vs min(${renderRate.toFixed(1)}, ${trainRate.toFixed(1)}) images/s, ${size}², ${workers} render worker(s)`,
    }),
  ];
}
