/**
 * Child process for `datadiet doctor` (a backend's environment, e.g. Dawn's Vulkan ICD, must be
 * set before it loads): starts one training backend, times Adam steps of the default encoder on
 * 32² frames for about `seconds`, and prints {ok, name, reason, images_per_s} or {ok, error, hint}.
 * Before timing it prints {"ready": true} after the warm-up step and waits for a line on stdin, so
 * the doctor can start every probe at once and still time them one at a time on a quiet machine.
 *   node bin/run-ts.js doctor/backend-probe.ts BACKEND SECONDS
 */
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/index.ts';
import { selectBackend, createEncoder, EncoderConfigSchema, Params } from '../training/index.ts';

const [name = 'wasm', secondsText = '2'] = process.argv.slice(3);

/** Resolves on the first line on stdin (or when stdin closes: nobody is waiting to time us). */
function goSignal(): Promise<void> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    const done = () => {
      rl.close();
      resolve();
    };
    rl.once('line', done);
    rl.once('close', done);
  });
}
const seconds = Number(secondsText);
try {
  const choice = await selectBackend(name);
  let imagesPerSecond: number | null = null;
  if (seconds > 0) {
    const params = new Params(new Rng(0, 'doctor'));
    const encoder = createEncoder(params, EncoderConfigSchema.parse({}));
    const batch = 8;
    const x = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const optimizer = tf.train.adam(1e-3);
    const step = async () => {
      const cost = optimizer.minimize(
        () => tf.mean(tf.square(encoder.apply(x).embedding)) as tf.Scalar,
        true,
        params.list(),
      )!;
      await cost.data(); // async: webgpu in Node has no synchronous read
      cost.dispose();
    };
    await step(); // kernel compilation, first allocations
    console.log(JSON.stringify({ ready: true }));
    await goSignal();
    let steps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000 || steps < 2) {
      await step();
      steps++;
    }
    imagesPerSecond = (steps * batch) / ((performance.now() - t0) / 1000);
  }
  console.log(
    JSON.stringify({
      ok: true,
      name: choice.name,
      reason: choice.reason,
      images_per_s: imagesPerSecond === null ? null : +imagesPerSecond.toFixed(1),
    }),
  );
} catch (e) {
  const err = e as { message: string; hint?: string };
  console.log(JSON.stringify({ ok: false, error: err.message, hint: err.hint ?? null }));
}
process.exit(0); // tfjs-wasm workers and Dawn can keep handles open
