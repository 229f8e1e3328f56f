import { rm } from 'node:fs/promises';
import { findBrowser } from '../generator/browser.ts';
import { FrameServer } from '../generator/frame-server.ts';
import { generateDataset } from '../generator/generate.ts';
import { RenderWorker } from '../generator/render-worker.ts';
import { tempDir } from '../generator/test-helpers.ts';
import { parseSpec } from '../scenes/load-spec.ts';
import { sampleScene } from '../scenes/sampler.ts';
import type { SpecInput } from '../scenes/spec.ts';

export interface GenerateBenchRow {
  size: number;
  renderOnly: number;
  endToEnd1: number;
  endToEnd2: number;
  breakdown: Record<string, number>;
}

/** Stereo pairs per second of rendering alone (every pass, GPU-synchronised, nothing moved out). */
async function renderOnly(spec: SpecInput, sequences: number) {
  const s = parseSpec(spec);
  const server = await FrameServer.start();
  const worker = new RenderWorker(server, findBrowser());
  await worker.open();
  try {
    await worker.render(sampleScene(s, 999), s.layers, false); // warm-up: shader compilation
    const t0 = performance.now();
    for (let i = 0; i < sequences; i++) await worker.render(sampleScene(s, i), s.layers, false);
    return (sequences * s.frames) / ((performance.now() - t0) / 1000);
  } finally {
    await worker.close();
    await server.close();
  }
}

/** Where the time of one transferring sequence goes, per stereo pair, in ms. */
async function breakdown(spec: SpecInput) {
  const s = parseSpec(spec);
  const server = await FrameServer.start();
  const worker = new RenderWorker(server, findBrowser());
  await worker.open();
  try {
    await worker.render(sampleScene(s, 999), s.layers);
    const t0 = performance.now();
    const r = await worker.render(sampleScene(s, 0), s.layers);
    const total = performance.now() - t0;
    const per = (ms: number) => +(ms / s.frames).toFixed(2);
    return {
      total: per(total),
      render: per(r.timings.render_ms),
      readback: per(r.timings.readback_ms),
      pack: per(r.timings.pack_ms),
      send_wait: per(r.timings.send_wait_ms),
    };
  } finally {
    await worker.close();
    await server.close();
  }
}

/** End to end: spec → shards on disk, browser start-up excluded by timing only the steady part. */
async function endToEnd(spec: SpecInput, workers: number) {
  const out = await tempDir('bench');
  let first = 0;
  let last = 0;
  let counted = 0;
  const s = parseSpec(spec);
  await generateDataset({
    spec: s,
    out,
    workers,
    previews: 0,
    onEvent: (e) => {
      if (e.type !== 'sequence') return;
      // Skip each worker's first sequence (browser start, shader compilation).
      if (e.index < workers) {
        first = performance.now();
        return;
      }
      counted++;
      last = performance.now();
    },
  });
  await rm(out, { recursive: true, force: true });
  return (counted * s.frames) / ((last - first) / 1000);
}

export async function benchGenerate(log: (l: string) => void): Promise<GenerateBenchRow[]> {
  const rows: GenerateBenchRow[] = [];
  for (const [size, sequences, frames] of [
    [64, 8, 16],
    [128, 8, 12],
    [256, 6, 8],
  ] as const) {
    const spec: SpecInput = {
      width: size,
      height: size,
      frames,
      sequences,
      sequences_per_shard: 2,
      seed: 1,
    };
    const ro = await renderOnly(spec, 4);
    const e1 = await endToEnd(spec, 1);
    const e2 = await endToEnd(spec, 2);
    const bd = await breakdown(spec);
    rows.push({ size, renderOnly: ro, endToEnd1: e1, endToEnd2: e2, breakdown: bd });
    log(
      `${size}²: render-only ${ro.toFixed(1)} pairs/s | end-to-end 1 worker ${e1.toFixed(1)} (${((100 * e1) / ro).toFixed(0)}% of render-only) | 2 workers ${e2.toFixed(1)} (${(e2 / e1).toFixed(2)}× one) | ms/pair ${JSON.stringify(bd)}`,
    );
  }
  return rows;
}
