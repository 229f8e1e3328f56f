/**
 * `demo.json`: what a demo run did — versions, seed, sizes, every stage with its wall time and
 * whether it ran or was reused from an earlier run. Rewritten (atomically) after every stage, so
 * an interrupted demo still says how far it got.
 */
import type { RendererRecord } from '../generator/index.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DatadietError, packageVersion, projectRoot, writeJsonAtomic } from '../core/index.ts';
import type { CompareRow } from '../evaluation/index.ts';
import type { DemoOptions } from './plan.ts';

export const DEMO_FORMAT = 'datadiet-demo/1.0';
export const DEMO_FILE = 'demo.json';

export type StageKind = 'generate' | 'train' | 'evaluate';

export interface StageRecord {
  /** e.g. `generate diet`, `train prednet`, `evaluate`. */
  name: string;
  kind: StageKind;
  /** `ran`: work was done in this invocation; `reused`: an earlier run's output was complete. */
  status: 'ran' | 'reused';
  /** Wall time of this invocation's stage (for a reused stage: the time to check it). */
  seconds: number;
  /** Wall time of the invocation that did the work (carried over while the stage is reused). */
  ran_seconds: number | null;
  /**
   * CPU time of this Node process during the stage (training and evaluation run here; rendering
   * runs in Chromium and is not counted). Against `seconds` it shows how loaded the machine was.
   */
  cpu_seconds: number;
  output: string;
  details: Record<string, unknown>;
}

export interface DemoRecord {
  format: typeof DEMO_FORMAT;
  /** The options that shape the outputs; a rerun must match them to resume. */
  options: Pick<DemoOptions, 'size' | 'sequences' | 'steps' | 'seed' | 'backend' | 'workers'> &
    Partial<Pick<DemoOptions, 'stream'>>;
  seed: number;
  versions: { datadiet: string; node: string; tfjs: string; three: string };
  /** The Chromium executable that renders the datasets. */
  browser: string;
  /** The WebGL renderer it used (`--gl`; the unmasked renderer string and what it is). */
  renderer?: RendererRecord;
  backend: { name: string; reason: string } | null;
  datasets: Record<string, unknown>[];
  runs: Record<string, unknown>[];
  stages: StageRecord[];
  /** Sum of the stages' wall times in the latest invocation (reused stages count their check). */
  total_seconds: number;
  report: string | null;
  /** The comparison's rows (evaluation/table.ts `CompareRow`). */
  table: CompareRow[] | null;
  started_at: string;
  finished_at: string | null;
}

async function threeVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(
      await readFile(join(projectRoot(), 'node_modules', 'three', 'package.json'), 'utf8'),
    ) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

export async function versions(): Promise<DemoRecord['versions']> {
  return {
    datadiet: await packageVersion(),
    node: process.version,
    tfjs: tf.version.tfjs,
    three: await threeVersion(),
  };
}

export async function readDemoRecord(out: string): Promise<DemoRecord | null> {
  let text: string;
  try {
    text = await readFile(join(out, DEMO_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    return JSON.parse(text) as DemoRecord;
  } catch {
    return null; // unreadable: the stages' own resume checks decide what to redo
  }
}

/** The options that change what the datasets and runs hold (steps may grow: runs continue). */
const SHAPING = ['size', 'sequences', 'seed', 'stream'] as const;

/** A folder holding a demo made with other sizes or seed cannot be resumed; say which flag. */
export function checkResumable(previous: DemoRecord | null, options: DemoOptions, out: string) {
  if (!previous?.options) return;
  for (const key of SHAPING) {
    // Records from before --stream existed were made from a generated diet.
    const before = key === 'stream' ? (previous.options.stream ?? false) : previous.options[key];
    if (before !== options[key]) {
      throw new DatadietError(
        'OUT_DIR_MISMATCH',
        `${out} holds a demo made with --${key} ${before}, not ${options[key]}`,
        { hint: `pass --${key} ${before} to resume it, or use a new --out` },
      );
    }
  }
}

/** A reused stage keeps the wall time of the run that did its work. */
export function carryRanSeconds(
  stage: Omit<StageRecord, 'ran_seconds' | 'cpu_seconds'> & { cpu_seconds: number },
  previous: { stages?: StageRecord[] } | null,
): StageRecord {
  if (stage.status === 'ran') return { ...stage, ran_seconds: stage.seconds };
  const before = previous?.stages?.find((s) => s.name === stage.name);
  return { ...stage, ran_seconds: before?.ran_seconds ?? null };
}

export const writeDemoRecord = (out: string, record: DemoRecord) =>
  writeJsonAtomic(join(out, DEMO_FILE), record);
