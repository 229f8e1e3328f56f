/**
 * Generation throughput in stereo pairs/s, split by stage. Every figure is a steady-state median
 * (warm-up excluded) so the ratios compare like with like:
 *
 * - render-only: every pass rendered and GPU-synchronised per frame, nothing read back;
 * - + transfer: also read back, packed into `.npy` layouts and sent to Node (no files written);
 * - end to end: `generateDataset`, i.e. also npy encoding, tar shards with sha256, sidecars.
 *
 * Stage costs come from the differences; the page's own timers split the transfer stage further.
 */
import { rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import {
  findBrowser,
  probeRenderer,
  type ConcreteGl,
  FrameServer,
  generateDataset,
  RenderWorker,
} from '../generator/index.ts';
import { tempDir } from '../core/index.ts';
import { parseSpec, sampleScene, type Spec, type SpecInput } from '../scenes/index.ts';
import {
  busyShare,
  cpuTimes,
  type CpuTimes,
  loadText,
  median,
  pct,
  ratioTarget,
  times,
  windowRate,
  type Log,
  type Target,
} from './stats.ts';

export interface StageRates {
  renderOnly: number;
  transfer: number;
  /** ms per stereo pair inside the page while transferring (medians over sequences) */
  page: { render: number; readback: number; pack: number; send_wait: number };
}

/**
 * One browser: after a warm-up sequence, alternates render-only and transferring sequences so
 * both see the same machine load; per-sequence rates, median.
 */
export async function stageRates(spec: Spec, repeats: number): Promise<StageRates> {
  const server = await FrameServer.start();
  const worker = new RenderWorker(server, findBrowser());
  try {
    await worker.open();
    await worker.render(sampleScene(spec, 999), spec.layers); // shader compilation
    const ro: number[] = [];
    const tr: number[] = [];
    const page = { render: [] as number[], readback: [] as number[], pack: [] as number[] };
    const send: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const rec = sampleScene(spec, i);
      let t0 = performance.now();
      await worker.render(rec, spec.layers, false);
      ro.push(spec.frames / ((performance.now() - t0) / 1000));
      t0 = performance.now();
      const r = await worker.render(rec, spec.layers, true);
      tr.push(spec.frames / ((performance.now() - t0) / 1000));
      page.render.push(r.timings.render_ms / spec.frames);
      page.readback.push(r.timings.readback_ms / spec.frames);
      page.pack.push(r.timings.pack_ms / spec.frames);
      send.push(r.timings.send_wait_ms / spec.frames);
    }
    const r2 = (x: number) => +x.toFixed(2);
    return {
      renderOnly: median(ro),
      transfer: median(tr),
      page: {
        render: r2(median(page.render)),
        readback: r2(median(page.readback)),
        pack: r2(median(page.pack)),
        send_wait: r2(median(send)),
      },
    };
  } finally {
    await worker.close();
    await server.close();
  }
}

/** Render-only with `workers` browsers in parallel: steady-state pairs/s. */
export async function renderOnlyParallel(spec: Spec, workers: number, perWorker: number) {
  const server = await FrameServer.start();
  const pool = Array.from({ length: workers }, () => new RenderWorker(server, findBrowser()));
  const done: number[] = [];
  try {
    await Promise.all(pool.map((w) => w.open()));
    await Promise.all(pool.map((w) => w.render(sampleScene(spec, 999), spec.layers, false)));
    await Promise.all(
      pool.map(async (w, k) => {
        for (let i = k; i < perWorker * workers; i += workers) {
          await w.render(sampleScene(spec, i), spec.layers, false);
          done.push(performance.now());
        }
      }),
    );
  } finally {
    await Promise.all(pool.map((w) => w.close()));
    await server.close();
  }
  return windowRate(done, spec.frames, workers * 2);
}

/**
 * End to end: spec → shards on disk; steady state from the sequence completion times, and the
 * share of the machine's cores busy over that steady state.
 */
export async function endToEnd(
  spec: Spec,
  workers: number,
  gl: ConcreteGl = 'swiftshader',
): Promise<{ rate: number; busy: number }> {
  const out = await tempDir('bench');
  const done: number[] = [];
  const cpu: CpuTimes[] = [];
  try {
    await generateDataset({
      spec,
      out,
      workers,
      gl,
      previews: 0,
      onEvent: (e) => {
        if (e.type === 'sequence') {
          done.push(performance.now());
          cpu.push(cpuTimes());
        }
      },
    });
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  // Each worker's first sequence carries browser start-up and shader compilation.
  return {
    rate: windowRate(done.slice(workers - 1), spec.frames, workers * 2),
    busy: busyShare(cpu[workers - 1]!, cpu[cpu.length - 1]!),
  };
}

export interface GenerateBenchOptions {
  sizes?: { size: number; frames: number; sequences: number }[];
}

/** Logs the per-size figures and returns the render-pipeline targets. */
export async function benchGenerate(log: Log, opts: GenerateBenchOptions = {}): Promise<Target[]> {
  const targets: Target[] = [];
  const sizes = opts.sizes ?? [
    { size: 128, frames: 12, sequences: 8 },
    { size: 256, frames: 8, sequences: 6 },
  ];
  for (const { size, frames, sequences } of sizes) {
    const input: SpecInput = {
      width: size,
      height: size,
      frames,
      sequences,
      sequences_per_shard: 2,
      seed: 1,
    };
    const spec = parseSpec(input);
    const st = await stageRates(spec, 3);
    const { rate: e1, busy } = await endToEnd(spec, 1);
    const ro2 = await renderOnlyParallel(spec, 2, 3);
    const { rate: e2 } = await endToEnd(parseSpec({ ...input, sequences: sequences + 2 }), 2);
    const ms = (r: number) => (1000 / r).toFixed(1);
    log(
      `  ${size}² (${loadText()}): 1 worker render-only ${st.renderOnly.toFixed(1)}, + readback/transfer ${st.transfer.toFixed(1)}, end to end ${e1.toFixed(1)} pairs/s` +
        ` | 2 workers render-only ${ro2.toFixed(1)}, end to end ${e2.toFixed(1)} pairs/s`,
    );
    log(
      `        ms per pair, 1 worker: render ${ms(st.renderOnly)}; readback+pack+send adds ${(1000 / st.transfer - 1000 / st.renderOnly).toFixed(1)}; npy+tar writing adds ${(1000 / e1 - 1000 / st.transfer).toFixed(1)}` +
        ` | inside the page while transferring: ${JSON.stringify(st.page)}`,
    );
    targets.push(
      ratioTarget({
        name: `end to end vs render-only, ${size}², 1 worker`,
        value: e1,
        peer: st.renderOnly,
        threshold: 0.7,
        format: pct,
        detail: `${e1.toFixed(1)} / ${st.renderOnly.toFixed(1)} pairs/s`,
      }),
      ratioTarget({
        name: `2 workers vs 1, end to end, ${size}²`,
        value: e2,
        peer: e1,
        threshold: 1.6,
        format: times,
        // SwiftShader spreads one browser over every core: a second worker only gets what the
        // first leaves idle (plus whatever it saves by overlapping their waits).
        detail: `${e2.toFixed(1)} / ${e1.toFixed(1)} pairs/s; with 1 worker the ${cpus().length} cores are already ${pct(busy)} busy; render-only 2 workers ${ro2.toFixed(1)}`,
      }),
    );
  }
  return targets;
}

/** End to end at 128², 1 worker: colour only vs every layer the generator can write. */
export async function benchLayers(log: Log) {
  const base: SpecInput = {
    width: 128,
    height: 128,
    frames: 12,
    sequences: 5,
    sequences_per_shard: 2,
    seed: 1,
  };
  const { rate: rgb } = await endToEnd(parseSpec({ ...base, layers: ['rgb'] }), 1);
  const { rate: all } = await endToEnd(
    parseSpec({ ...base, layers: ['rgb', 'depth', 'seg', 'parts', 'flow', 'normal'] }),
    1,
  );
  log(
    `  128² end to end, 1 worker (${loadText()}): rgb only ${rgb.toFixed(1)} pairs/s | all six layers ${all.toFixed(1)} pairs/s (${pct(all / rgb)} of rgb only)`,
  );
  return { rgb, all };
}

/**
 * llvmpipe (Mesa, through `--gl egl`) vs SwiftShader, end to end, 1 worker, alternating rounds
 * under the same load: the figure that decides `--gl auto`'s software default (generator/browser.ts).
 */
export async function benchGl(log: Log, rounds = 2): Promise<Target[]> {
  const egl = await probeRenderer(findBrowser(), 'egl');
  if (egl === null || !/llvmpipe/i.test(egl)) {
    log(
      `  --gl egl gives ${egl ?? 'no WebGL2'}: no llvmpipe to compare (apt-get install libegl1 libegl-mesa0 libgles2)`,
    );
    return [
      { name: 'llvmpipe vs SwiftShader', verdict: 'SKIP', detail: `egl: ${egl ?? 'no WebGL2'}` },
    ];
  }
  const targets: Target[] = [];
  for (const { size, frames, sequences } of [
    { size: 128, frames: 12, sequences: 6 },
    { size: 256, frames: 8, sequences: 5 },
  ]) {
    const spec = parseSpec({
      width: size,
      height: size,
      frames,
      sequences,
      sequences_per_shard: 2,
      seed: 1,
    });
    const rates: Record<'egl' | 'swiftshader', number[]> = { egl: [], swiftshader: [] };
    for (let r = 0; r < rounds; r++) {
      for (const gl of r % 2
        ? (['egl', 'swiftshader'] as const)
        : (['swiftshader', 'egl'] as const)) {
        rates[gl].push((await endToEnd(spec, 1, gl)).rate);
      }
    }
    const [l, s] = [median(rates.egl), median(rates.swiftshader)];
    log(
      `  ${size}² end to end, 1 worker (${loadText()}): llvmpipe ${l.toFixed(1)} vs SwiftShader ${s.toFixed(1)} pairs/s (rounds ${JSON.stringify(rates)})`,
    );
    targets.push(
      ratioTarget({
        name: `llvmpipe vs SwiftShader, end to end, ${size}²`,
        value: l,
        peer: s,
        threshold: 1,
        format: times,
        detail: `${l.toFixed(1)} / ${s.toFixed(1)} pairs/s; ≥ 1× keeps llvmpipe as --gl auto's software default`,
      }),
    );
  }
  return targets;
}
