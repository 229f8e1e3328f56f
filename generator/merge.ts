/**
 * `datadiet manifest`: assembles manifest.json from the per-shard sidecars. Processes that cannot
 * see each other finish (pods writing to object storage, two finishing at once) may all leave the
 * manifest unwritten; this final step writes it, and refuses when a shard is missing or the
 * sidecars come from different datasets.
 */
import { DatadietError } from '../core/index.ts';
import {
  MANIFEST_FILE,
  SHARDS_DIR,
  shardFileName,
  type ShardRecord,
  ShardSidecarSchema,
  describeIssue,
  openStorage,
  type StorageOptions,
} from '../output/index.ts';
import { buildManifest, datasetFingerprint } from './dataset-meta.ts';
import type { Sidecar } from './generate.ts';
import { planShards } from './shard-plan.ts';

export interface MergeResult {
  manifest: string;
  shards: number;
  sequences: number;
  bytes: number;
}

/** Runs of consecutive indices, e.g. [1,2,3,7] → '1-3, 7'. */
function ranges(xs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    out.push(i === j ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

/** A sidecar checked against the format (ShardSidecarSchema); DATASET_CORRUPT naming the field. */
function checkSidecar(value: unknown, location: string, name: string): Sidecar {
  const parsed = ShardSidecarSchema.safeParse(value);
  if (!parsed.success) {
    throw new DatadietError(
      'DATASET_CORRUPT',
      `${location}: ${SHARDS_DIR}/${name}: ${describeIssue(parsed.error, value)}`,
      { hint: 'the sidecar was edited or damaged; delete it and its .tar and regenerate' },
    );
  }
  // As written; its spec is checked below by recomputing the fingerprint from it.
  return value as Sidecar;
}

export async function mergeManifest(
  location: string,
  opts: StorageOptions = {},
): Promise<MergeResult> {
  const store = openStorage(location, opts);
  const names = (await store.list(SHARDS_DIR)).filter((n) => /^shard-\d{6,}\.json$/.test(n)).sort();
  if (names.length === 0) {
    throw new DatadietError(
      'DATASET_NOT_FOUND',
      `${location} has no finished shards (shards/shard-NNNNNN.json)`,
      {
        hint: 'run `datadiet generate --out` there first; pass the same location as its --out',
      },
    );
  }
  const sidecars = new Map<string, Sidecar>();
  for (let i = 0; i < names.length; i += 32) {
    const batch = names.slice(i, i + 32);
    const read = await Promise.all(batch.map((n) => store.readJson<unknown>(`${SHARDS_DIR}/${n}`)));
    read.forEach((sc, k) => {
      if (sc !== null) sidecars.set(batch[k]!, checkSidecar(sc, location, batch[k]!));
    });
  }

  const [firstName, first] = [...sidecars][0]!;
  const other = [...sidecars].find(([, sc]) => sc.fingerprint !== first.fingerprint);
  if (other) {
    const count = new Set([...sidecars.values()].map((s) => s.fingerprint)).size;
    throw new DatadietError(
      'SHARDS_MISMATCH',
      `${location}: shards come from ${count} different datasets: ${firstName} (fingerprint ${first.fingerprint.slice(0, 12)}…) vs ${other[0]} (${other[1].fingerprint.slice(0, 12)}…)`,
      {
        hint: 'every process must run the same spec, seed and datadiet version; delete the odd shards (.tar and .json) and regenerate them',
      },
    );
  }
  const { spec, generator_version: version } = first;
  if (spec === undefined || version === undefined) {
    throw new DatadietError(
      'SHARDS_MISMATCH',
      `${location}: ${firstName} does not record the spec (made by an older datadiet)`,
      {
        hint: 'rerun the same `datadiet generate` command once more: it writes the manifest',
      },
    );
  }
  if (
    datasetFingerprint(spec, version, first.inputs, first.renderer?.renderer) !== first.fingerprint
  ) {
    throw new DatadietError(
      'DATASET_CORRUPT',
      `${location}: ${firstName}: the spec it records does not give its fingerprint`,
      { hint: 'the sidecar was edited or damaged; delete it and its .tar and regenerate' },
    );
  }

  const plan = planShards({ sequences: spec.sequences, perShard: spec.sequences_per_shard });
  const records: ShardRecord[] = [];
  const missing: number[] = [];
  for (const s of plan) {
    const file = shardFileName(s.index);
    const sc = sidecars.get(file.replace(/\.tar$/, '.json'));
    // The sidecar vouches for the shard; a cheap size check catches a lost or cut file.
    const ok =
      sc !== undefined &&
      sc.record.index === s.index &&
      sc.record.file === file &&
      (await store.size(`${SHARDS_DIR}/${file}`)) === sc.record.bytes;
    if (ok) records.push(sc.record);
    else missing.push(s.index);
  }
  if (missing.length > 0) {
    throw new DatadietError(
      'SHARDS_MISSING',
      `${location}: ${missing.length} of ${plan.length} shards are missing or incomplete: ${ranges(missing)}`,
      {
        hint: 'rerun the processes (or Job indices) that make them with the same arguments, e.g. `datadiet generate … --shard-index I --num-shards N`, then merge again',
      },
    );
  }

  await store.writeJson(
    MANIFEST_FILE,
    buildManifest({
      spec,
      generatorVersion: version,
      fingerprint: first.fingerprint,
      shards: records,
      renderer: first.renderer,
    }),
  );
  return {
    manifest: store.url(MANIFEST_FILE),
    shards: records.length,
    sequences: spec.sequences,
    bytes: records.reduce((n, r) => n + r.bytes, 0),
  };
}
