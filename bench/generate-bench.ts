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
  renderOnly2: number;
  endToEnd1: number;
  endToEnd2: number;
  breakdown: Record<string, number>;
}

/**
 * Stereo pairs per second of rendering alone (every pass, GPU-synchronised, nothing moved out),
 * with `workers` browsers rendering in parallel.
 */
async function renderOnly(spec: SpecInput, sequences: number, workers = 1) {
  const s = parseSpec(spec);
  const server = await FrameServer.start();
  const pool = Array.from({ length: workers }, () => new RenderWorker(server, findBrowser()));
  try {
    await Promise.all(pool.map((w) => w.open()));
    // Warm-up: shader compilation.
    await Promise.all(pool.map((w) => w.render(sampleScene(s, 999), s.layers, false)));
    const t0 = performance.now();
    await Promise.all(
      pool.map(async (w, k) => {
        for (let i = k; i < sequences * workers; i += workers)
          await w.render(sampleScene(s, i), s.layers, false);
      }),
    );
    return (sequences * workers * s.frames) / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all(pool.map((w) => w.close()));
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
  let seen = 0;
  const s = parseSpec(spec);
  await generateDataset({
    spec: s,
    out,
    workers,
    previews: 0,
    onEvent: (e) => {
      if (e.type !== 'sequence') return;
      // The first `workers` sequences carry browser start-up and shader compilation: not timed.
      seen++;
      if (seen <= workers) {
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

/** End to end at 128², 1 worker: colour only vs every layer the generator can write. */
export async function benchLayers(log: (l: string) => void) {
  const base: SpecInput = {
    width: 128,
    height: 128,
    frames: 12,
    sequences: 6,
    sequences_per_shard: 2,
    seed: 1,
  };
  const rgb = await endToEnd({ ...base, layers: ['rgb'] }, 1);
  const all = await endToEnd(
    { ...base, layers: ['rgb', 'depth', 'seg', 'parts', 'flow', 'normal'] },
    1,
  );
  log(
    `128² end to end, 1 worker: rgb only ${rgb.toFixed(1)} pairs/s | all six layers ${all.toFixed(1)} pairs/s (${((100 * all) / rgb).toFixed(0)}% of rgb only)`,
  );
  return { rgb, all };
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
    const ro2 = await renderOnly(spec, 4, 2);
    const e1 = await endToEnd(spec, 1);
    const e2 = await endToEnd(spec, 2);
    const bd = await breakdown(spec);
    rows.push({
      size,
      renderOnly: ro,
      renderOnly2: ro2,
      endToEnd1: e1,
      endToEnd2: e2,
      breakdown: bd,
    });
    const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;
    log(
      `${size}²  1 worker: render-only ${ro.toFixed(1)}, end to end ${e1.toFixed(1)} pairs/s (${pct(e1, ro)})` +
        ` | 2 workers: render-only ${ro2.toFixed(1)}, end to end ${e2.toFixed(1)} (${pct(e2, ro2)}; ${(e2 / e1).toFixed(2)}× one worker)`,
    );
    log(`      where one transferring pair's time goes (ms): ${JSON.stringify(bd)}`);
  }
  return rows;
}
