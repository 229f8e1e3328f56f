/**
 * Per-kernel profile of one training step (forward, backward, Adam) under tfjs-wasm, for the
 * benchmark models: `node bin/run-ts.js bench/profile-train.ts [encoder|prednet]`. Kernels that
 * are themselves built from ops (datadiet's conv gradients) are listed with their inner kernels,
 * so the column does not sum to the step time.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../training/index.ts';
import { encoderCase, prednetCase, type Case } from './train-bench.ts';

export async function profileStep(c: Case, top = 14): Promise<string[]> {
  const m = c.build();
  const opt = tf.train.adam(1e-3);
  const step = () => opt.minimize(m.loss, true, m.vars)?.dispose();
  step(); // warm-up: kernel set-up, Adam slots
  const t0 = performance.now();
  const info = await tf.profile(step);
  const wall = performance.now() - t0;
  const t1 = performance.now();
  step();
  const plain = performance.now() - t1;
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const e = by.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += k.kernelTimeMs as number;
    e.n++;
    by.set(k.name, e);
  }
  opt.dispose();
  m.dispose();
  const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms);
  return [
    `${c.name}: step ${plain.toFixed(0)} ms unprofiled (${wall.toFixed(0)} ms profiled), ${info.kernels.length} kernel calls`,
    ...rows
      .slice(0, top)
      .map(([name, e]) => `  ${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms  ×${e.n}`),
  ];
}

// Run as a script (bench/index.ts does not import this file).
await selectBackend('wasm');
const which = process.argv[3];
for (const c of [encoderCase(), prednetCase()])
  if (!which || which === c.name) for (const l of await profileStep(c)) console.log(l);
