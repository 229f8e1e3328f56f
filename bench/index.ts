/**
 * `npm run bench`: every issue-6 target as a ratio against a peer measured in the same run, with
 * PASS / MISS (SKIP when a peer is unavailable, with the reason). Results go in BENCHMARKS.md.
 *
 * Environment: DATADIET_BENCH_TRAIN=0 skips training, DATADIET_BENCH_GENERATE=0 skips rendering,
 * DATADIET_BENCH_MEMORY=0 skips the memory runs, DATADIET_BENCH_STREAM=0 skips streaming training,
 * DATADIET_BENCH_GL=0 skips llvmpipe vs SwiftShader, DATADIET_BENCH_SECONDS sets seconds per training
 * measurement (default 3; five paired rounds).
 */
import { cpus } from 'node:os';
import { benchGenerate, benchGl, benchLayers } from './generate-bench.ts';
import { benchMemory } from './memory-bench.ts';
import { loadText, printTargets, type Target } from './stats.ts';

const log = (l: string) => console.log(l);
const on = (name: string) => process.env[`DATADIET_BENCH_${name}`] !== '0';
const started = performance.now();
const targets: Target[] = [];

log(
  `datadiet bench — ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${loadText()} at start`,
);
if (on('GENERATE')) {
  log('Generation (default layers rgb, depth, seg, parts; both eyes; shadows and MSAA on):');
  targets.push(...(await benchGenerate(log)));
  await benchLayers(log);
}
if (on('GL')) {
  log('Renderers (--gl egl = Mesa llvmpipe vs --gl swiftshader; decides --gl auto on CPU):');
  targets.push(...(await benchGl(log)));
}
if (on('MEMORY')) {
  log('Memory:');
  targets.push(...(await benchMemory(log)));
}
if (on('TRAIN')) {
  log('Training (images/s of full steps: forward, backward, Adam; random inputs; median step):');
  const { benchTrain } = await import('./train-bench.ts');
  const seconds = Number(process.env.DATADIET_BENCH_SECONDS ?? 3);
  targets.push(...(await benchTrain(log, { seconds })));
}
if (on('STREAM')) {
  log('Streaming training (train --stream; training images/s):');
  const { benchStream } = await import('./stream-bench.ts');
  targets.push(...(await benchStream(log)));
}
printTargets(log, targets);
log(`(${((performance.now() - started) / 1000).toFixed(0)} s, ${loadText()} at the end)`);
// tfjs-wasm and puppeteer can keep handles open; the bench is done.
process.exit(0);
