import { readFileSync, readdirSync } from 'node:fs';
import { tempDir } from '../core/index.ts';
import {
  readDataset,
  sampleArray,
  sampleJson,
  typedView,
  type NdArray,
  type ShardRecord,
  readManifest,
} from '../output/index.ts';
import { parseSpec, type SpecInput } from '../scenes/index.ts';
import { generateDataset, type GenerateOptions } from './generate.ts';

export { tempDir };

/** Generates a dataset from a partial spec into a fresh temp folder. */
export async function generateTiny(spec: SpecInput, opts: Partial<GenerateOptions> = {}) {
  const out = opts.out ?? (await tempDir('gen'));
  const result = await generateDataset({ spec: parseSpec(spec), out, ...opts });
  return { out, result };
}

export async function shardHashes(dir: string): Promise<string[]> {
  const m = await readManifest(dir);
  return m.shards.map((s: ShardRecord) => s.sha256);
}

export interface LoadedSample {
  key: string;
  json: SampleJson;
  arrays: Map<string, NdArray>;
}

export interface SampleJson {
  T: number;
  H: number;
  W: number;
  baseline_m: number;
  K: { fx: number; fy: number; cx: number; cy: number };
  depth_far: number;
  objects: { id: number; category: string; category_index: number }[];
}

export async function loadAll(dir: string): Promise<LoadedSample[]> {
  const out: LoadedSample[] = [];
  for await (const s of readDataset(dir)) {
    const arrays = new Map<string, NdArray>();
    for (const name of s.members.keys())
      if (name.endsWith('.npy')) arrays.set(name, sampleArray(s, name));
    out.push({ key: s.key, json: sampleJson<SampleJson>(s), arrays });
  }
  return out;
}

export function view(arr: NdArray | undefined) {
  if (!arr) throw new Error('missing array');
  return typedView(arr);
}

/** Live Chromium processes (Linux /proc), all of them or only the children of `parent`. */
export function chromiumProcesses(parent?: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const m = /^\d+ \((.*)\) (\S) (\d+)/.exec(readFileSync(`/proc/${d}/stat`, 'utf8'));
      if (!m || m[2] === 'Z' || !/chrom/i.test(m[1]!)) continue;
      if (parent === undefined || Number(m[3]) === parent) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}
