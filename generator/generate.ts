import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatadietError, isDatadietError, packageVersion } from '../core/index.ts';
import {
  layerShape,
  MANIFEST_FILE,
  SHARDS_DIR,
  shardFileName,
  type ShardRecord,
  encodeNpyParts,
  openStorage,
  writeError,
  type DatasetStorage,
  type StorageOptions,
  ShardWriter,
  layerDef,
} from '../output/index.ts';
import { prepareSampler, sampleScene, type Spec } from '../scenes/index.ts';
import { chooseGl, findBrowser } from './browser.ts';
import type { GlMode, RendererRecord } from './gl.ts';
import { buildManifest, datasetFingerprint, sampleJson, sequenceKey } from './dataset-meta.ts';
import { FrameServer } from './frame-server.ts';
import { previewPng } from './previews.ts';
import { RenderWorker } from './render-worker.ts';
import { sampleExtras } from './sample-extras.ts';
import { myShards, planShards, type ShardPlan } from './shard-plan.ts';

export interface GenerateOptions {
  spec: Spec;
  out: string;
  /** Browsers rendering in parallel, each making whole shards. */
  workers?: number;
  /** This process makes shards i with i mod numShards = shardIndex (Kubernetes Indexed Jobs). */
  shardIndex?: number;
  numShards?: number;
  browserPath?: string | undefined;
  /**
   * WebGL backend (`--gl`): swiftshader (the default here, so library callers and tests keep
   * their bytes), egl, vulkan, or auto (the CLI's default). Checked against the page's renderer.
   */
  gl?: GlMode | undefined;
  /** How to reach object storage when `out` is an s3:// URL. */
  storage?: StorageOptions | undefined;
  /** Sequences (lowest indices) that get a preview contact sheet. */
  previews?: number;
  /** Browser crashes or hangs tolerated per shard before giving up. */
  maxRetries?: number;
  sequenceTimeoutMs?: number;
  onEvent?: (e: GenerateEvent) => void;
}

export type GenerateEvent =
  | {
      type: 'plan';
      shardsTotal: number;
      mine: number;
      skipped: number;
      sequencesToRender: number;
      browser: string;
      renderer: RendererRecord;
      /** How the renderer was chosen (auto says what it tried). */
      rendererNote: string;
    }
  | { type: 'sequence'; index: number; frames: number }
  | { type: 'shard'; record: ShardRecord }
  | { type: 'retry'; shard: number; attempt: number; reason: string };

export interface GenerateResult {
  out: string;
  shardsTotal: number;
  shardsWritten: number;
  shardsSkipped: number;
  sequencesRendered: number;
  manifest: string | null;
  missingShards: number[];
  seconds: number;
  renderer: RendererRecord;
}

/** The per-shard completion record (`shards/shard-NNNNNN.json`), a per-shard manifest. */
export interface Sidecar {
  fingerprint: string;
  record: ShardRecord;
  /** With these, `datadiet manifest` can assemble manifest.json from the sidecars alone. */
  spec?: Spec;
  generator_version?: string;
  /** sha256 of each input file the spec names (assets, splats), part of the fingerprint. */
  inputs?: Record<string, string>;
  /** The renderer the shard was made with; its string is part of the fingerprint. */
  renderer?: RendererRecord;
}

export const sidecarName = (index: number) =>
  `${SHARDS_DIR}/${shardFileName(index).replace(/\.tar$/, '.json')}`;

async function readSidecar(store: DatasetStorage, index: number): Promise<Sidecar | null> {
  try {
    return await store.readJson<Sidecar>(sidecarName(index));
  } catch (e) {
    if (isDatadietError(e) && e.code === 'DATASET_CORRUPT') return null; // torn: not complete
    throw e;
  }
}

/** Refuses to mix two datasets in one folder; a rerun of the same command resumes instead. */
async function checkSameDataset(
  store: DatasetStorage,
  fingerprint: string,
  plan: ShardPlan[],
): Promise<void> {
  const foreign = async (fp: unknown) => {
    if (fp !== undefined && fp !== fingerprint) {
      throw new DatadietError(
        'OUT_DIR_MISMATCH',
        `${store.location} holds a dataset made with another dataset format, spec, seed, generator version, other input files (asset or splat bytes) or another WebGL renderer (--gl)`,
        {
          hint: 'use a new --out, or delete the folder to regenerate',
        },
      );
    }
  };
  const manifest = await store.readJson<{ fingerprint?: string }>(MANIFEST_FILE).catch(() => null);
  await foreign(manifest?.fingerprint);
  const names = new Set(await store.list(SHARDS_DIR));
  for (const s of plan) {
    if (names.has(shardFileName(s.index).replace(/\.tar$/, '.json')))
      await foreign((await readSidecar(store, s.index))?.fingerprint);
  }
}

async function isComplete(
  store: DatasetStorage,
  index: number,
  fingerprint: string,
): Promise<Sidecar | null> {
  const sc = await readSidecar(store, index);
  if (!sc || sc.fingerprint !== fingerprint) return null;
  return (await store.matches(`${SHARDS_DIR}/${sc.record.file}`, sc.record)) ? sc : null;
}

/**
 * Removes temp files a killed run left behind (they are never mistaken for shards). Only this
 * process's shards: on a shared volume other processes may be writing theirs right now.
 */
async function removeStaleTemps(dir: string, mine: ShardPlan[]): Promise<void> {
  const owned = new Set(mine.map((s) => shardFileName(s.index).replace(/\.tar$/, '')));
  for (const name of await readdir(dir)) {
    if (/\.tmp-[\w-]+$/.test(name) && owned.has(name.split('.')[0]!))
      await rm(join(dir, name), { force: true });
  }
}

/**
 * Makes (or completes) a dataset: every shard this process owns that is not already complete on
 * disk is rendered, written to a temp name and renamed, then recorded in a sidecar. When every
 * shard of the dataset is complete, `manifest.json` is written (by whichever process finishes last).
 * Steps: identify the dataset → plan this process's work → render → manifest.
 */
export async function generateDataset(opts: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const run = await identifyDataset(opts);
  const work = await planWork(opts, run);
  const sequencesRendered = await renderShards(opts, run, work);
  const { manifest, missing } = await writeManifestWhenComplete(opts, run, work.store);
  return {
    out: opts.out,
    shardsTotal: run.plan.length,
    shardsWritten: work.pending.length,
    shardsSkipped: work.mine.length - work.pending.length,
    sequencesRendered,
    manifest,
    missingShards: missing,
    seconds: (performance.now() - started) / 1000,
    renderer: run.renderer,
  };
}

/** What identifies the dataset (its fingerprint) and how it is split into shards. */
interface DatasetRun {
  browser: string;
  version: string;
  /** sha256 of each input file the spec names. */
  inputs: Record<string, string>;
  gl: Awaited<ReturnType<typeof chooseGl>>;
  renderer: RendererRecord;
  fingerprint: string;
  plan: ShardPlan[];
  shardIndex: number;
  numShards: number;
}

/** Browser, renderer, input files and generator version → the fingerprint; the shard plan. */
async function identifyDataset(opts: GenerateOptions): Promise<DatasetRun> {
  const { spec } = opts;
  const shardIndex = opts.shardIndex ?? 0;
  const numShards = opts.numShards ?? 1;
  const browser = findBrowser(opts.browserPath);
  const version = await packageVersion();
  const inputs = await prepareSampler(spec);
  const gl = await chooseGl(browser, opts.gl ?? 'swiftshader');
  const renderer = gl.record;
  const fingerprint = datasetFingerprint(spec, version, inputs, renderer.renderer);
  const plan = planShards({ sequences: spec.sequences, perShard: spec.sequences_per_shard });
  if (shardIndex < 0 || shardIndex >= numShards) {
    throw new DatadietError(
      'CONFIG_INVALID',
      `shardIndex ${shardIndex} is outside 0..${numShards - 1}`,
      {
        hint: 'pass 0 ≤ shardIndex < numShards',
        field: { config: 'generate', path: 'shardIndex' },
      },
    );
  }
  return { browser, version, inputs, gl, renderer, fingerprint, plan, shardIndex, numShards };
}

/**
 * Opens the output, refuses another dataset's folder, and lists this process's shards that are
 * not complete yet (a rerun resumes); reports the plan.
 */
async function planWork(opts: GenerateOptions, run: DatasetRun) {
  const { plan, fingerprint } = run;
  const store = openStorage(opts.out, opts.storage);
  await store.prepare();
  await checkSameDataset(store, fingerprint, plan);
  const mine = myShards(plan, run.shardIndex, run.numShards);
  await removeStaleTemps(store.stagingDir, mine);

  const pending: ShardPlan[] = [];
  for (const s of mine) if (!(await isComplete(store, s.index, fingerprint))) pending.push(s);
  opts.onEvent?.({
    type: 'plan',
    shardsTotal: plan.length,
    mine: mine.length,
    skipped: mine.length - pending.length,
    sequencesToRender: pending.reduce((n, s) => n + s.sequences, 0),
    browser: run.browser,
    renderer: run.renderer,
    rendererNote: run.gl.note,
  });
  return { store, mine, pending };
}

/**
 * Renders the pending shards on `workers` browsers, each taking whole shards from one queue; a
 * crashed or hung browser is restarted and its shard retried up to `maxRetries` times.
 */
async function renderShards(
  opts: GenerateOptions,
  run: DatasetRun,
  { store, pending }: { store: DatasetStorage; pending: ShardPlan[] },
): Promise<number> {
  if (pending.length === 0) return 0;
  const { browser, renderer } = run;
  let sequencesRendered = 0;
  const server = await FrameServer.start();
  const queue = [...pending];
  const workers = Array.from(
    { length: Math.max(1, Math.min(opts.workers ?? 1, pending.length)) },
    () =>
      new RenderWorker(server, browser, opts.sequenceTimeoutMs, {
        gl: renderer.gl,
        renderer: renderer.renderer,
      }),
  );
  const workerLoop = async (worker: RenderWorker) => {
    let opened = false;
    for (let shard = queue.shift(); shard; shard = queue.shift()) {
      for (let attempt = 0; ; attempt++) {
        try {
          if (!opened) {
            await worker.open();
            opened = true;
          }
          // Awaited before adding: `x += await …` reads x first, so parallel workers lost counts.
          const rendered = await writeShard({
            ...opts,
            worker,
            shard,
            fingerprint: run.fingerprint,
            store,
            version: run.version,
            inputs: run.inputs,
            renderer,
          });
          sequencesRendered += rendered;
          break;
        } catch (e) {
          const retryable =
            isDatadietError(e) && (e.code === 'RENDER_FAILED' || e.code === 'BROWSER_FAILED');
          // A hung browser never answers a polite close (it would wait out the protocol
          // timeout): kill it first; a crashed one is gone already.
          if (retryable && worker.pid !== undefined) killQuietly(worker.pid);
          if (!retryable || attempt >= (opts.maxRetries ?? 2)) {
            queue.length = 0; // stop the other workers after their current shard
            throw retryable ? gaveUp(e, shard.index, attempt + 1) : e;
          }
          opts.onEvent?.({
            type: 'retry',
            shard: shard.index,
            attempt: attempt + 1,
            reason: (e as Error).message,
          });
          await worker.close();
          opened = false;
        }
      }
    }
  };
  try {
    await Promise.all(workers.map(workerLoop));
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await server.close();
  }
  return sequencesRendered;
}

/** The manifest appears only once every shard of the dataset is complete. */
async function writeManifestWhenComplete(
  opts: GenerateOptions,
  run: DatasetRun,
  store: DatasetStorage,
): Promise<{ manifest: string | null; missing: number[] }> {
  const { plan, fingerprint, version, renderer } = run;
  const records: ShardRecord[] = [];
  const missing: number[] = [];
  for (const s of plan) {
    const sc = await readSidecar(store, s.index);
    if (sc && sc.fingerprint === fingerprint) records.push(sc.record);
    else missing.push(s.index);
  }
  if (missing.length > 0) return { manifest: null, missing };
  const manifest = store.url(MANIFEST_FILE);
  await store.writeJson(
    MANIFEST_FILE,
    buildManifest({
      spec: opts.spec,
      generatorVersion: version,
      fingerprint,
      shards: records,
      renderer,
    }),
  );
  return { manifest, missing };
}

async function writeShard(
  opts: GenerateOptions & {
    worker: RenderWorker;
    shard: ShardPlan;
    fingerprint: string;
    store: DatasetStorage;
    version: string;
    inputs: Record<string, string>;
    renderer: RendererRecord;
  },
): Promise<number> {
  const { spec, store, shard, worker } = opts;
  const file = shardFileName(shard.index);
  // Written locally (temp name, then renamed), then published: a no-op for a local dataset.
  const staged = join(store.stagingDir, file);
  const writer = await ShardWriter.open({ path: staged }).catch((e: unknown) => {
    throw writeError(e, store.location);
  });
  try {
    // The browser renders sequence i + 1 while Node encodes and writes sequence i.
    const renderAt = (i: number) => {
      const rec = sampleScene(spec, shard.firstSequence + i);
      const seq = worker.render(rec, spec.layers);
      seq.catch(() => {}); // awaited below; a failure after an earlier error is not news
      return { rec, seq };
    };
    let next = shard.sequences > 0 ? renderAt(0) : undefined;
    for (let i = 0; i < shard.sequences; i++) {
      const index = shard.firstSequence + i;
      const { rec } = next!;
      const seq = await next!.seq;
      next = i + 1 < shard.sequences ? renderAt(i + 1) : undefined;
      await writer.addSample(sequenceKey(index), sequenceMembers(spec, rec, seq));
      if (index < (opts.previews ?? 2) && spec.layers.includes('rgb'))
        await writePreview(store, rec, seq);
      opts.onEvent?.({ type: 'sequence', index, frames: spec.frames });
    }
    const fileRecord = await writer.finish();
    const record: ShardRecord = {
      ...fileRecord,
      index: shard.index,
      first_sequence: shard.firstSequence,
    };
    await store.publish(staged, `${SHARDS_DIR}/${file}`, { sha256: record.sha256 });
    // The sidecar comes after the shard: its presence means the shard is complete.
    await store.writeJson(sidecarName(shard.index), {
      fingerprint: opts.fingerprint,
      record,
      spec,
      generator_version: opts.version,
      ...(Object.keys(opts.inputs).length ? { inputs: opts.inputs } : {}),
      renderer: opts.renderer,
    } satisfies Sidecar);
    opts.onEvent?.({ type: 'shard', record });
    return shard.sequences;
  } catch (e) {
    await writer.abort().catch(() => {});
    throw writeError(e, store.location);
  }
}

/** The members of one rendered sequence, as a shard holds them (the stream uses them too). */
export function sequenceMembers(
  spec: Spec,
  rec: ReturnType<typeof sampleScene>,
  seq: Awaited<ReturnType<RenderWorker['render']>>,
) {
  return [
    { name: 'json', data: Buffer.from(JSON.stringify(sampleJson(rec))) },
    ...seq.members.map((m) => ({
      name: m.name,
      data: encodeNpyParts(
        layerDef(m.layer).dtype,
        layerShape(m.layer, spec.frames, spec.width, spec.height),
        [m.data],
      ),
    })),
    ...sampleExtras(rec),
  ];
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already exited
  }
}

/** The error after the last retry: says how often the shard failed, keeps the cause's code. */
function gaveUp(e: unknown, shard: number, attempts: number): DatadietError {
  const err = e as DatadietError;
  return new DatadietError(
    err.code,
    `shard ${shard} failed ${attempts} time${attempts === 1 ? '' : 's'} in a row (browser crashed or hung), giving up; last: ${err.message}`,
    {
      // A browser that cannot start keeps its own, more specific hint.
      hint:
        err.code === 'RENDER_FAILED' || err.hint === undefined
          ? 'rerun the same command to resume (complete shards are kept); if it repeats, try fewer --workers or a smaller size, or check the browser with --browser'
          : err.hint,
      cause: e,
    },
  );
}

async function writePreview(
  store: DatasetStorage,
  rec: ReturnType<typeof sampleScene>,
  seq: Awaited<ReturnType<RenderWorker['render']>>,
) {
  await store.writeFile(`previews/${sequenceKey(rec.index)}.png`, previewPng(rec, seq));
}
