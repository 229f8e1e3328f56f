/**
 * `datadiet verify`: checks a whole dataset against its manifest. Every shard's size and sha256,
 * every sample's members, every array's dtype and shape (driven by the manifest's `layers`, so new
 * layers are checked without code changes) and the cross-layer invariants of the layers present:
 * seg ids are objects of the sample JSON, parts lie on seg, depth is finite and positive, masks
 * (valid, occlusion) hold only their values, and sky pixels (valid 0) show no surface in any layer.
 * Problems are collected, not thrown, so one run reports everything that is wrong.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { DatadietError } from '../core/index.ts';
import { type Manifest, type ShardRecord } from './manifest.ts';
import { DTYPES, decodeNpy, typedView, type DType, type NdArray } from './npy.ts';
import { readManifest, readShardStream, shardRelPath, type Sample } from './reader.ts';
import { openStorage, type DatasetStorage, type StorageOptions } from './storage/index.ts';

/** Stable problem codes: scripts may match on them. */
export const VERIFY_CODES = [
  'MANIFEST_INVALID',
  'SHARD_MISSING',
  'SHARD_SIZE',
  'SHARD_SHA256',
  'SHARD_UNREADABLE',
  'SAMPLE_COUNT',
  'DUPLICATE_KEY',
  'MEMBER_MISSING',
  'MEMBER_UNEXPECTED',
  'JSON_INVALID',
  'KEY_MISMATCH',
  'NPY_INVALID',
  'DTYPE_MISMATCH',
  'SHAPE_MISMATCH',
  'SEG_UNKNOWN_ID',
  'PARTS_VALUE',
  'PARTS_OUTSIDE_SEG',
  'DEPTH_INVALID',
  'MASK_VALUE',
  'SKY_HAS_SURFACE',
] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];

export interface VerifyProblem {
  code: VerifyCode;
  /** One line naming the shard, sample and member at fault. */
  message: string;
}

export interface VerifyReport {
  location: string;
  ok: boolean;
  shards: number;
  samples: number;
  bytes: number;
  /** All problems found, up to `maxProblems`; `problemCount` counts every one. */
  problems: VerifyProblem[];
  problemCount: number;
}

export interface VerifyOptions extends StorageOptions {
  onProblem?: (p: VerifyProblem) => void;
  onShard?: (done: number, total: number) => void;
  maxProblems?: number;
}

interface LayerSpec {
  name: string;
  dtype: DType;
  shape: number[];
  members: string[];
}

const knownDtype = (d: string): d is DType => d in DTYPES;

/**
 * The manifest's layer table with member names; problems for entries that cannot be used (types
 * are already checked by readManifest's schema; the dtype must also be one the format knows).
 */
function manifestLayers(manifest: Manifest, problem: (c: VerifyCode, m: string) => void) {
  const layers: LayerSpec[] = [];
  if (manifest.layers === undefined) {
    problem('MANIFEST_INVALID', "manifest.json: 'layers' is missing or not a list");
    return layers;
  }
  const eyes = manifest.eyes ?? ['left', 'right'];
  for (const [i, l] of manifest.layers.entries()) {
    if (!knownDtype(l.dtype)) {
      problem('MANIFEST_INVALID', `manifest.json: layers[${i}] needs a name and a known dtype`);
      continue;
    }
    const members = l.members ?? eyes.map((eye) => `${eye}.${l.name}.npy`);
    layers.push({ name: l.name, dtype: l.dtype, shape: l.shape, members });
  }
  // Per-sample arrays that are not per-eye layers (`motion.npy`): dtype and shape, the same way.
  const motion = manifest.motion;
  if (motion !== undefined && knownDtype(motion.dtype)) {
    layers.push({
      name: 'motion',
      dtype: motion.dtype,
      shape: motion.shape,
      members: [motion.member],
    });
  }
  return layers;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

const list = (xs: Iterable<number>, max = 8) => {
  const all = [...xs];
  return all.slice(0, max).join(', ') + (all.length > max ? `, … (${all.length} in all)` : '');
};

/** Checks one dataset (a directory or s3:// URL). Throws only when there is no manifest to check against. */
export async function verifyDataset(
  location: string,
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  const manifest = await readManifest(location, opts);
  const store = openStorage(location, opts);
  const maxProblems = opts.maxProblems ?? 1000;
  const report: VerifyReport = {
    location,
    ok: true,
    shards: manifest.shards.length,
    samples: 0,
    bytes: 0,
    problems: [],
    problemCount: 0,
  };
  const problem = (code: VerifyCode, message: string) => {
    const p = { code, message };
    report.ok = false;
    report.problemCount++;
    if (report.problems.length < maxProblems) report.problems.push(p);
    opts.onProblem?.(p);
  };

  const layers = manifestLayers(manifest, problem);
  const expected = manifest.sample_members ?? ['json', ...layers.flatMap((l) => l.members)];
  const ctx: SampleContext = {
    layers,
    expected: new Set(expected),
    keys: new Set(),
    problem,
    far: manifest.depth_far ?? null,
  };

  for (const [i, rec] of manifest.shards.entries()) {
    await verifyShard(store, rec, ctx, report);
    opts.onShard?.(i + 1, manifest.shards.length);
  }
  const sequences = manifest.sequences;
  if (sequences !== undefined && report.samples !== sequences && report.ok) {
    problem(
      'SAMPLE_COUNT',
      `the shards hold ${report.samples} samples, manifest.json says ${sequences} sequences`,
    );
  }
  return report;
}

interface SampleContext {
  layers: LayerSpec[];
  expected: Set<string>;
  keys: Set<string>;
  problem: (code: VerifyCode, message: string) => void;
  /** manifest.depth_far: what depth holds where valid is 0. */
  far: number | null;
}

async function verifyShard(
  store: DatasetStorage,
  rec: ShardRecord,
  ctx: SampleContext,
  report: VerifyReport,
): Promise<void> {
  const name = shardRelPath(rec);
  const where = `shard ${name.replace(/^shards\//, '')}`;
  const size = await store.size(name);
  if (size === null) {
    ctx.problem('SHARD_MISSING', `${where}: missing (${store.url(name)})`);
    return;
  }
  report.bytes += size;
  if (size !== rec.bytes) {
    const how = size < rec.bytes ? 'truncated' : 'longer than recorded';
    ctx.problem('SHARD_SIZE', `${where}: ${how}: ${size} bytes, manifest says ${rec.bytes}`);
  }

  // One read does both: the bytes are hashed on their way into the tar reader.
  const { stream, size: streamSize } = await store.openRead(name);
  const hash = createHash('sha256');
  let hashed = 0;
  const tee = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      hashed += chunk.length;
      cb(null, chunk);
    },
  });
  stream.on('error', (e) => tee.destroy(e));
  stream.pipe(tee);

  let samples = 0;
  let unreadable = false;
  try {
    for await (const sample of readShardStream(tee, streamSize, where)) {
      samples++;
      checkSample(sample, ctx, where);
    }
  } catch (e) {
    if (!(e instanceof DatadietError && e.code === 'DATASET_CORRUPT')) throw e;
    unreadable = true;
    ctx.problem('SHARD_UNREADABLE', e.message);
  } finally {
    stream.destroy();
  }
  report.samples += samples;

  let digest: string;
  if (!unreadable && hashed === streamSize) digest = hash.digest('hex');
  else digest = await hashObject(store, name); // the reader stopped early: hash all of it
  if (digest !== rec.sha256) {
    ctx.problem(
      'SHARD_SHA256',
      `${where}: sha256 ${digest.slice(0, 12)}… does not match the manifest's ${rec.sha256.slice(0, 12)}… (the bytes changed)`,
    );
  }
  if (!unreadable && samples !== rec.samples) {
    ctx.problem('SAMPLE_COUNT', `${where}: holds ${samples} samples, manifest says ${rec.samples}`);
  }
}

async function hashObject(store: DatasetStorage, name: string): Promise<string> {
  const hash = createHash('sha256');
  const { stream } = await store.openRead(name);
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function checkSample(sample: Sample, ctx: SampleContext, where: string): void {
  const at = `${where}: ${sample.key}`;
  const { problem } = ctx;
  if (ctx.keys.has(sample.key)) problem('DUPLICATE_KEY', `${at}: key appears twice in the dataset`);
  ctx.keys.add(sample.key);

  for (const m of ctx.expected) {
    if (!sample.members.has(m)) problem('MEMBER_MISSING', `${at}: member '${m}' is missing`);
  }
  for (const m of sample.members.keys()) {
    if (!ctx.expected.has(m))
      problem('MEMBER_UNEXPECTED', `${at}: member '${m}' is not in the manifest`);
  }

  let json: { key?: unknown; objects?: { id?: unknown }[] } | undefined;
  const jsonBuf = sample.members.get('json');
  if (jsonBuf !== undefined) {
    try {
      json = JSON.parse(jsonBuf.toString('utf8')) as typeof json;
    } catch (e) {
      problem('JSON_INVALID', `${at}: member 'json' is not valid JSON: ${(e as Error).message}`);
    }
    if (json?.key !== undefined && json.key !== sample.key) {
      problem('KEY_MISMATCH', `${at}: json.key is '${String(json.key)}'`);
    }
  }

  // Arrays that match the manifest, by layer then eye, for the cross-layer checks.
  const good = new Map<string, Map<string, NdArray>>();
  for (const layer of ctx.layers) {
    for (const member of layer.members) {
      const buf = sample.members.get(member);
      if (buf === undefined) continue;
      let arr: NdArray;
      try {
        arr = decodeNpy(buf);
      } catch (e) {
        problem('NPY_INVALID', `${at}: member '${member}': ${(e as Error).message}`);
        continue;
      }
      if (arr.dtype !== layer.dtype) {
        problem(
          'DTYPE_MISMATCH',
          `${at}: member '${member}' has dtype ${arr.dtype}, manifest says ${layer.dtype}`,
        );
        continue;
      }
      if (!sameShape(arr.shape, layer.shape)) {
        problem(
          'SHAPE_MISMATCH',
          `${at}: member '${member}' has shape [${arr.shape}], manifest says [${layer.shape}]`,
        );
        continue;
      }
      const eye = member.split('.')[0]!;
      if (!good.has(eye)) good.set(eye, new Map());
      good.get(eye)!.set(layer.name, arr);
    }
  }

  const ids = new Set<number>([0]);
  for (const o of json?.objects ?? []) if (typeof o.id === 'number') ids.add(o.id);
  for (const [eye, arrays] of good) {
    const seg = arrays.get('seg');
    const parts = arrays.get('parts');
    const depth = arrays.get('depth');
    if (seg && json) {
      const unknown = new Set<number>();
      for (const id of typedView(seg)) if (!ids.has(id)) unknown.add(id);
      if (unknown.size > 0) {
        problem(
          'SEG_UNKNOWN_ID',
          `${at}: ${eye}.seg holds ids ${list(unknown)} that are not objects in the sample JSON (ids ${list([...ids].filter((i) => i !== 0))})`,
        );
      }
    }
    if (parts) {
      const p = typedView(parts);
      const s =
        seg && seg.data.length / DTYPES[seg.dtype].itemsize === p.length ? typedView(seg) : null;
      let bad = 0;
      let outside = 0;
      for (let i = 0; i < p.length; i++) {
        const v = p[i]!;
        if (v !== 0 && v !== 1) bad++;
        if (v !== 0 && s && s[i] === 0) outside++;
      }
      if (bad > 0) problem('PARTS_VALUE', `${at}: ${eye}.parts has ${bad} pixels not 0 or 1`);
      if (outside > 0) {
        problem(
          'PARTS_OUTSIDE_SEG',
          `${at}: ${eye}.parts marks ${outside} pixels where seg is background (0)`,
        );
      }
    }
    checkMasks(arrays, ctx, `${at}: ${eye}`);
    if (depth && (depth.dtype === 'float32' || depth.dtype === 'float64')) {
      let bad = 0;
      let first = NaN;
      for (const z of typedView(depth)) {
        if (!(Number.isFinite(z) && z > 0)) {
          if (bad === 0) first = z;
          bad++;
        }
      }
      if (bad > 0) {
        problem(
          'DEPTH_INVALID',
          `${at}: ${eye}.depth has ${bad} values that are not finite and positive (e.g. ${first})`,
        );
      }
    }
  }
}

/**
 * valid ∈ {0,1} and occlusion ∈ {0,1,2} (0 on the last frame, which has no t+1); where valid is 0
 * no layer may show a surface: seg and parts 0, normal 0, depth exactly depth_far.
 */
function checkMasks(arrays: Map<string, NdArray>, ctx: SampleContext, at: string): void {
  const valid = arrays.get('valid');
  const occlusion = arrays.get('occlusion');
  if (occlusion) {
    const o = typedView(occlusion);
    const frame = occlusion.shape.slice(1).reduce((a, b) => a * b, 1);
    let bad = 0;
    let last = 0;
    for (let i = 0; i < o.length; i++) {
      if (o[i]! > 2) bad++;
      else if (o[i] !== 0 && i >= o.length - frame) last++;
    }
    if (bad > 0) ctx.problem('MASK_VALUE', `${at}.occlusion has ${bad} pixels not 0, 1 or 2`);
    if (last > 0)
      ctx.problem(
        'MASK_VALUE',
        `${at}.occlusion marks ${last} pixels on the last frame (it has no next frame: zeros)`,
      );
  }
  if (!valid) return;
  const v = typedView(valid);
  let bad = 0;
  for (const x of v) if (x !== 0 && x !== 1) bad++;
  if (bad > 0) ctx.problem('MASK_VALUE', `${at}.valid has ${bad} pixels not 0 or 1`);
  const same = (a: NdArray | undefined) =>
    a && a.shape.slice(0, 3).join() === valid.shape.join() ? typedView(a) : null;
  const seg = same(arrays.get('seg'));
  const parts = same(arrays.get('parts'));
  const depth = same(arrays.get('depth'));
  const normal = same(arrays.get('normal'));
  const found = new Map<string, number>();
  const note = (layer: string) => found.set(layer, (found.get(layer) ?? 0) + 1);
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== 0) continue;
    if (seg && seg[i] !== 0) note('seg ≠ 0');
    if (parts && parts[i] !== 0) note('parts ≠ 0');
    if (depth && ctx.far !== null && depth[i] !== Math.fround(ctx.far)) note('depth ≠ depth_far');
    if (normal && (normal[3 * i] !== 0 || normal[3 * i + 1] !== 0 || normal[3 * i + 2] !== 0))
      note('normal ≠ 0');
  }
  if (found.size > 0) {
    ctx.problem(
      'SKY_HAS_SURFACE',
      `${at}: pixels with valid 0 (no surface) show one in other layers: ${[...found].map(([k, n]) => `${n} with ${k}`).join(', ')}`,
    );
  }
}
