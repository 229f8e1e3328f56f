import { mkdir, readdir, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { DatadietError, isDatadietError } from '../core/errors.ts';
import { packageVersion } from '../core/paths.ts';
import { layerShape } from '../output/layers.ts';
import {
  MANIFEST_FILE,
  SHARDS_DIR,
  readJson,
  shardFileName,
  writeJsonAtomic,
  type ShardRecord,
} from '../output/manifest.ts';
import { encodeNpyParts } from '../output/npy.ts';
import { ShardWriter, shardFileMatches } from '../output/tar-shard.ts';
import { layerDef } from '../output/layers.ts';
import { sampleScene } from '../scenes/sampler.ts';
import type { Spec } from '../scenes/spec.ts';
import { findBrowser } from './browser.ts';
import { buildManifest, datasetFingerprint, sampleJson, sequenceKey } from './dataset-meta.ts';
import { FrameServer } from './frame-server.ts';
import { previewPng } from './previews.ts';
import { RenderWorker } from './render-worker.ts';
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
}

interface Sidecar {
  fingerprint: string;
  record: ShardRecord;
}

const sidecarPath = (out: string, index: number) =>
  join(out, SHARDS_DIR, shardFileName(index).replace(/\.tar$/, '.json'));

async function readSidecar(out: string, index: number): Promise<Sidecar | null> {
  try {
    return await readJson<Sidecar>(sidecarPath(out, index));
  } catch {
    return null;
  }
}

/** Creates the output folders and proves they are writable before any rendering starts. */
async function prepareOut(out: string): Promise<void> {
  try {
    await mkdir(join(out, SHARDS_DIR), { recursive: true });
    const probe = join(out, SHARDS_DIR, `.write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (e) {
    throw new DatadietError(
      'OUT_DIR_UNWRITABLE',
      `cannot write to ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      {
        hint: 'choose another --out or fix its permissions',
        cause: e,
      },
    );
  }
}

/** Refuses to mix two datasets in one folder; a rerun of the same command resumes instead. */
async function checkSameDataset(
  out: string,
  fingerprint: string,
  plan: ShardPlan[],
): Promise<void> {
  const foreign = async (fp: unknown) => {
    if (fp !== undefined && fp !== fingerprint) {
      throw new DatadietError(
        'OUT_DIR_MISMATCH',
        `${out} holds a dataset made with another spec, seed or generator version`,
        {
          hint: 'use a new --out, or delete the folder to regenerate',
        },
      );
    }
  };
  const manifest = await readJson<{ fingerprint?: string }>(join(out, MANIFEST_FILE)).catch(
    () => null,
  );
  await foreign(manifest?.fingerprint);
  const names = new Set(await readdir(join(out, SHARDS_DIR)));
  for (const s of plan) {
    if (names.has(shardFileName(s.index).replace(/\.tar$/, '.json')))
      await foreign((await readSidecar(out, s.index))?.fingerprint);
  }
}

async function isComplete(
  out: string,
  index: number,
  fingerprint: string,
): Promise<Sidecar | null> {
  const sc = await readSidecar(out, index);
  if (!sc || sc.fingerprint !== fingerprint) return null;
  return (await shardFileMatches(join(out, SHARDS_DIR, sc.record.file), sc.record)) ? sc : null;
}

/** Removes temp files a killed run left behind (they are never mistaken for shards). */
async function removeStaleTemps(out: string): Promise<void> {
  for (const name of await readdir(join(out, SHARDS_DIR))) {
    if (/\.tmp-\d+$/.test(name)) await rm(join(out, SHARDS_DIR, name), { force: true });
  }
}

/**
 * Makes (or completes) a dataset: every shard this process owns that is not already complete on
 * disk is rendered, written to a temp name and renamed, then recorded in a sidecar. When every
 * shard of the dataset is complete, `manifest.json` is written (by whichever process finishes last).
 */
export async function generateDataset(opts: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const { spec, out } = opts;
  const shardIndex = opts.shardIndex ?? 0;
  const numShards = opts.numShards ?? 1;
  const browser = findBrowser(opts.browserPath);
  const version = await packageVersion();
  const fingerprint = datasetFingerprint(spec, version);
  const plan = planShards({ sequences: spec.sequences, perShard: spec.sequences_per_shard });
  if (shardIndex < 0 || shardIndex >= numShards) {
    throw new DatadietError(
      'CLI_USAGE',
      `--shard-index ${shardIndex} is outside 0..${numShards - 1}`,
      {
        hint: 'pass 0 ≤ --shard-index < --num-shards',
      },
    );
  }

  await prepareOut(out);
  await checkSameDataset(out, fingerprint, plan);
  await removeStaleTemps(out);

  const mine = myShards(plan, shardIndex, numShards);
  const pending: ShardPlan[] = [];
  for (const s of mine) if (!(await isComplete(out, s.index, fingerprint))) pending.push(s);
  opts.onEvent?.({
    type: 'plan',
    shardsTotal: plan.length,
    mine: mine.length,
    skipped: mine.length - pending.length,
    sequencesToRender: pending.reduce((n, s) => n + s.sequences, 0),
    browser,
  });

  let sequencesRendered = 0;
  if (pending.length > 0) {
    const server = await FrameServer.start();
    const queue = [...pending];
    const workers = Array.from(
      { length: Math.max(1, Math.min(opts.workers ?? 1, pending.length)) },
      () => new RenderWorker(server, browser, opts.sequenceTimeoutMs),
    );
    try {
      await Promise.all(
        workers.map(async (worker) => {
          let opened = false;
          for (let shard = queue.shift(); shard; shard = queue.shift()) {
            for (let attempt = 0; ; attempt++) {
              try {
                if (!opened) {
                  await worker.open();
                  opened = true;
                }
                sequencesRendered += await writeShard({ ...opts, worker, shard, fingerprint });
                break;
              } catch (e) {
                const retryable =
                  isDatadietError(e) && (e.code === 'RENDER_FAILED' || e.code === 'BROWSER_FAILED');
                if (!retryable || attempt >= (opts.maxRetries ?? 2)) {
                  queue.length = 0; // stop the other workers after their current shard
                  throw e;
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
        }),
      );
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await server.close();
    }
  }

  // The manifest appears only once every shard of the dataset is complete.
  const records: ShardRecord[] = [];
  const missing: number[] = [];
  for (const s of plan) {
    const sc = await readSidecar(out, s.index);
    if (sc && sc.fingerprint === fingerprint) records.push(sc.record);
    else missing.push(s.index);
  }
  let manifest: string | null = null;
  if (missing.length === 0) {
    manifest = join(out, MANIFEST_FILE);
    await writeJsonAtomic(
      manifest,
      buildManifest({ spec, generatorVersion: version, fingerprint, shards: records }),
    );
  }
  return {
    out,
    shardsTotal: plan.length,
    shardsWritten: pending.length,
    shardsSkipped: mine.length - pending.length,
    sequencesRendered,
    manifest,
    missingShards: missing,
    seconds: (performance.now() - started) / 1000,
  };
}

async function writeShard(
  opts: GenerateOptions & { worker: RenderWorker; shard: ShardPlan; fingerprint: string },
): Promise<number> {
  const { spec, out, shard, worker } = opts;
  const file = shardFileName(shard.index);
  const writer = await ShardWriter.open({ path: join(out, SHARDS_DIR, file) });
  try {
    for (let i = 0; i < shard.sequences; i++) {
      const index = shard.firstSequence + i;
      const rec = sampleScene(spec, index);
      const seq = await worker.render(rec, spec.layers);
      const members = [
        { name: 'json', data: Buffer.from(JSON.stringify(sampleJson(rec))) },
        ...seq.members.map((m) => ({
          name: m.name,
          data: encodeNpyParts(
            layerDef(m.layer).dtype,
            layerShape(m.layer, spec.frames, spec.width, spec.height),
            [m.data],
          ),
        })),
      ];
      await writer.addSample(sequenceKey(index), members);
      if (index < (opts.previews ?? 2) && spec.layers.includes('rgb'))
        await writePreview(out, rec, seq);
      opts.onEvent?.({ type: 'sequence', index, frames: spec.frames });
    }
    const fileRecord = await writer.finish();
    const record: ShardRecord = {
      ...fileRecord,
      index: shard.index,
      first_sequence: shard.firstSequence,
    };
    await writeJsonAtomic(sidecarPath(out, shard.index), {
      fingerprint: opts.fingerprint,
      record,
    } satisfies Sidecar);
    opts.onEvent?.({ type: 'shard', record });
    return shard.sequences;
  } catch (e) {
    await writer.abort().catch(() => {});
    throw e;
  }
}

async function writePreview(
  out: string,
  rec: ReturnType<typeof sampleScene>,
  seq: Awaited<ReturnType<RenderWorker['render']>>,
) {
  const dir = join(out, 'previews');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${sequenceKey(rec.index)}.png`);
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, previewPng(rec, seq));
  await rename(tmp, path);
}
