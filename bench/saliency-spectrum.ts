/**
 * How much of each model's saliency is the stride checkerboard (issue 19's blur-pool question):
 * recomputes the maps `datadiet evaluate` scores — the same held-out split, the same
 * cross-validated probe, plain gradients — and reports the share of their energy near the
 * Nyquist frequencies (evaluation/spectrum.ts) with a bootstrap interval over images, beside the
 * part ρ of the same maps (which must equal `evaluate`'s: the check that these are its maps).
 * `--smooth N` also scores the maps after N passes of a [1,2,1]⊗[1,2,1]/16 blur (stride 1, edges
 * clamped): the control for "part ρ rewards smooth maps", since the part reference is blurred.
 *
 *   node bin/run-ts.js bench/saliency-spectrum.ts --data PROBE_DIR [--json OUT] [--smooth N] RUN...
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/index.ts';
import {
  meanInterval,
  HELD_OUT_FRACTION,
  extractFeatures,
  loadEvalModel,
  scorePartAlignment,
  fitCvProbe,
  probeHead,
  splitIndices,
  loadProbeSet,
  saliencyMaps,
  nyquistBaseline,
  nyquistShare,
} from '../evaluation/index.ts';
import { selectBackend } from '../training/index.ts';

const { values, positionals } = parseArgs({
  options: {
    data: { type: 'string' },
    json: { type: 'string' },
    seed: { type: 'string' },
    smooth: { type: 'string' },
  },
  args: process.argv.slice(3),
  allowPositionals: true,
});
if (!values.data || positionals.length === 0) {
  console.error('usage: saliency-spectrum.ts --data PROBE_DIR [--json OUT] [--seed S] RUN...');
  process.exit(2);
}
/** N passes of the [1,2,1]⊗[1,2,1]/16 blur over each h×w map, edges clamped. */
function smoothMaps(maps: Float32Array, n: number, h: number, w: number): Float32Array {
  let cur = Float32Array.from(maps);
  const at = (m: Float32Array, o: number, y: number, x: number) =>
    m[o + Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))]!;
  for (let pass = 0; pass < n; pass++) {
    const next = new Float32Array(cur.length);
    for (let o = 0; o < cur.length; o += h * w) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let v = 0;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              v += ((2 - Math.abs(dy)) * (2 - Math.abs(dx)) * at(cur, o, y + dy, x + dx)) / 16;
            }
          }
          next[o + y * w + x] = v;
        }
      }
    }
    cur = next;
  }
  return cur;
}

await selectBackend('wasm');
const smooth = Number(values.smooth ?? 0);
const seed = Number(values.seed ?? 0);
const data = await loadProbeSet({ dir: values.data, field: 'data', needParts: true });
const numClasses = data.categories.length;
const baseline = nyquistBaseline(data.h, data.w);
console.log(
  `${data.n} images ${data.h}×${data.w}; white-noise Nyquist share ${baseline.toFixed(4)}`,
);
const rows: Record<string, unknown>[] = [];
for (const run of positionals) {
  // The same Rng forks as evaluation/evaluate.ts, so split and probe are the evaluation's own.
  const rng = new Rng(seed, 'evaluate');
  const model = await loadEvalModel(run);
  const feats = await extractFeatures({ ...data, features: (x) => model.features(x) });
  const split = splitIndices({
    labels: data.labels,
    heldOutFraction: HELD_OUT_FRACTION,
    rng: rng.fork('probe-split'),
  });
  const { probe } = fitCvProbe({
    features: feats.data,
    dim: feats.dim,
    labels: data.labels,
    idx: split.fit,
    numClasses,
    rng: rng.fork('alpha-cv'),
  });
  const head = probeHead(probe);
  const maps = await saliencyMaps({
    logits: (x: tf.Tensor4D) => head.apply(model.features(x)),
    images: data.images,
    h: data.h,
    w: data.w,
    rows: split.heldOut,
    labels: data.labels,
    numClasses,
    rng: rng.fork('saliency'),
  });
  head.dispose();
  model.dispose();
  const px = data.h * data.w;
  const shares = split.heldOut
    .map((_, i) => nyquistShare(maps.subarray(i * px, (i + 1) * px), data.h, data.w))
    .filter((s): s is number => s !== null);
  const scored = scorePartAlignment({ set: data, rows: split.heldOut, maps, figureRows: 0 });
  const rho = scored.perImage.spearman;
  const mean = (a: ArrayLike<number>) => Array.from(a).reduce((p, q) => p + q, 0) / a.length;
  const smoothedRho =
    smooth > 0
      ? mean(
          scorePartAlignment({
            set: data,
            rows: split.heldOut,
            maps: smoothMaps(maps, smooth, data.h, data.w),
            figureRows: 0,
          }).perImage.spearman,
        )
      : null;
  const ci = meanInterval(shares, new Rng(seed, 'nyquist'));
  const row = {
    run,
    images: shares.length,
    nyquist_share: mean(shares),
    nyquist_share_ci: ci,
    part_rho: mean(rho),
    ...(smoothedRho !== null ? { smooth, part_rho_smoothed: smoothedRho } : {}),
  };
  rows.push(row);
  console.log(
    `${run}: Nyquist share ${row.nyquist_share.toFixed(4)} [${ci?.[0].toFixed(4)}, ${ci?.[1].toFixed(4)}] (${shares.length} maps), part ρ ${row.part_rho.toFixed(4)}${smoothedRho !== null ? `, after ${smooth} blur pass(es) ${smoothedRho.toFixed(4)}` : ''}`,
  );
}
if (values.json) writeFileSync(values.json, JSON.stringify({ baseline, rows }, null, 2));
