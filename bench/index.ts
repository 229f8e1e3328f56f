/**
 * `npm run bench`: throughput figures as ratios against a peer measured in the same run. Results
 * go in BENCHMARKS.md; nothing here is a pass/fail test of wall time.
 */
import { cpus } from 'node:os';
import { benchGenerate, benchLayers } from './generate-bench.ts';

const log = (l: string) => console.log(l);
log(
  `datadiet bench — ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
);
log('Generation (all default layers: rgb, depth, seg, parts; both eyes; shadows and MSAA on):');
await benchGenerate(log);
await benchLayers(log);
// Training: about 2.5 minutes on 2 cores (set DATADIET_BENCH_TRAIN=0 to skip it).
if (process.env.DATADIET_BENCH_TRAIN !== '0') {
  log('Training (images/s of full steps: forward, backward, Adam; random inputs):');
  const { benchTrain } = await import('./train-bench.ts');
  await benchTrain(log, { seconds: 8 });
}
