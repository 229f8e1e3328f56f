/**
 * The dataset contract as a type: zod schemas for `manifest.json` (format 1.0–1.2) and the
 * per-sample JSON member. `generator/dataset-meta.ts` builds values of these types and
 * `readManifest` checks what it reads against them, so writer and readers share one definition.
 *
 * Only `shards` is required, as readers have always required (the generator always writes
 * `format_version` too): manifests written by hand or by other tools may carry little else, and
 * each reader says what it needs when a field it uses is absent. Every object is loose
 * (unknown fields are kept): the format grows by adding fields, and a reader of this version must
 * read a newer dataset's manifest. No defaults and no transforms, so parsing returns the JSON as
 * written (`readManifest` returns it as read, key order included).
 */
import { z } from 'zod';

export const SHARDS_DIR = 'shards';
const SHARD_PREFIX = new RegExp(`^${SHARDS_DIR}/`);

/**
 * `shards/<name>` (format ≥ 1.2, relative to manifest.json) or a bare `<name>` (1.0/1.1, in
 * `shards/`); never a path outside `<dir>/shards/`.
 */
export function isShardFileName(file: string): boolean {
  const name = file.replace(SHARD_PREFIX, '');
  return /^[^/\\]+$/.test(name) && name !== '.' && name !== '..';
}

const count = z.number().int().min(0);

export const ShardRecordSchema = z.looseObject({
  // First, so a damaged path is the issue reported (it guards every join with the dataset folder).
  file: z
    .string()
    .refine(isShardFileName, { message: 'is not a shard file name (shards/<name>.tar)' }),
  samples: count,
  bytes: count,
  sha256: z.string(),
  /** Shard index within the dataset (its content depends only on spec, seed and this). */
  index: count,
  /** Sequence number of the shard's first sample. */
  first_sequence: count,
});
/** One shard as the manifest and the per-shard sidecars list it. */
export type ShardRecord = z.infer<typeof ShardRecordSchema>;

export const LayerEntrySchema = z.looseObject({
  name: z.string(),
  /** A NumPy dtype name; `verify` checks that it is one the format knows. */
  dtype: z.string(),
  shape: z.array(count),
  /** Member names after the sample key, one per eye ('left.rgb.npy', …). */
  members: z.array(z.string()).optional(),
  description: z.string().optional(),
});

export const MotionColumnSchema = z.looseObject({
  name: z.string(),
  unit: z.string(),
  frame: z.string(),
  description: z.string(),
});

/** `manifest.motion` (format ≥ 1.1): the `<key>.motion.npy` member and its columns. */
export const MotionBlockSchema = z.looseObject({
  member: z.string(),
  dtype: z.string(),
  shape: z.array(count),
  columns: z.array(MotionColumnSchema),
});

export const CategoryEntrySchema = z.looseObject({
  index: count,
  name: z.string(),
  diagnostic_part: z.string().nullable().optional(),
  /** Present on asset categories only ('asset'); procedural entries leave it out. */
  source: z.string().optional(),
});

export const RendererRecordSchema = z.looseObject({
  gl: z.string(),
  renderer: z.string(),
  device: z.string(),
  api: z.string(),
  software: z.boolean(),
});

const intrinsics = z.looseObject({
  fx: z.number(),
  fy: z.number(),
  cx: z.number(),
  cy: z.number(),
});
const text = z.record(z.string(), z.string());

/**
 * `shards/shard-NNNNNN.json`, written beside each finished shard: its record (a bare file name)
 * and what `datadiet manifest` needs to assemble manifest.json from the sidecars alone.
 */
export const ShardSidecarSchema = z.looseObject({
  fingerprint: z.string(),
  record: ShardRecordSchema,
  /** The full spec (older sidecars lack it and the version; merge then asks for a rerun). */
  spec: z.record(z.string(), z.unknown()).optional(),
  generator_version: z.string().optional(),
  /** sha256 of each input file the spec names (assets, splats). */
  inputs: z.record(z.string(), z.string()).optional(),
  renderer: RendererRecordSchema.optional(),
});

export const ManifestSchema = z.looseObject({
  /** '1.0', '1.1', '1.2' (generator/dataset-meta.ts FORMAT_VERSION); no reader branches on it. */
  format_version: z.string().optional(),
  generator: z.looseObject({ name: z.string(), version: z.string() }).optional(),
  name: z.string().optional(),
  seed: z.number().optional(),
  /** What a rerun must match to reuse shards (generator/dataset-meta.ts datasetFingerprint). */
  fingerprint: z.string().optional(),
  renderer: RendererRecordSchema.optional(),
  sequences: count.optional(),
  frames: count.optional(),
  fps: z.number().optional(),
  width: count.optional(),
  height: count.optional(),
  eyes: z.array(z.string()).optional(),
  layers: z.array(LayerEntrySchema).optional(),
  dtypes: text.optional(),
  depth_far: z.number().optional(),
  camera: z
    .looseObject({
      width: count,
      height: count,
      fov_y_deg: z.number(),
      K: intrinsics,
      K_matrix: z.array(z.array(z.number())),
      baseline_m: z.number(),
      near: z.number(),
      far: z.number(),
    })
    .optional(),
  /** Procedural categories, then user glTF asset categories; the array index is the label. */
  categories: z.array(CategoryEntrySchema).optional(),
  assets: z.record(z.string(), z.unknown()).optional(),
  background_splat: z.record(z.string(), z.unknown()).optional(),
  conventions: text.optional(),
  shapes: text.optional(),
  units: text.optional(),
  sample_members: z.array(z.string()).optional(),
  motion: MotionBlockSchema.optional(),
  caption: z.looseObject({ member: z.string() }).optional(),
  shortcut: z
    .looseObject({
      category_correlation: z.number(),
      home_grounds: z.record(z.string(), z.unknown()),
    })
    .optional(),
  cue_conflict: z.looseObject({ texture: z.string(), probability: z.number() }).optional(),
  /** The full scene spec (scenes/spec.ts SpecSchema validates it where it is used). */
  spec: z.record(z.string(), z.unknown()).optional(),
  // The one list every reader needs; the message readers have always given.
  shards: z.array(ShardRecordSchema, { error: 'is missing or not a list' }),
  total_bytes: count.optional(),
});
/** A parsed manifest.json. */
export type Manifest = z.infer<typeof ManifestSchema>;
/** What a writer may build (the same fields; the type `buildManifest` returns). */
export type ManifestInput = z.input<typeof ManifestSchema>;

const objectRecord = z.looseObject({
  id: z.number().int(),
  category: z.string().optional(),
  category_index: z.number().int(),
  texture_category_index: z.number().int().nullable().optional(),
  cue_conflict: z.boolean().optional(),
});

/**
 * The per-sample `json` member (`datadiet.sample/1`). The scene record's nested blocks (camera
 * poses, object poses, lights) are described in DESIGN.md and scenes/types.ts; this types the
 * summary fields and the object fields readers use.
 */
export const SampleJsonSchema = z.looseObject({
  format: z.string().optional(),
  key: z.string().optional(),
  index: count.optional(),
  seed: z.number().optional(),
  dataset_seed: z.number().optional(),
  T: count.optional(),
  fps: z.number().optional(),
  H: count.optional(),
  W: count.optional(),
  baseline_m: z.number().optional(),
  K: intrinsics.optional(),
  depth_far: z.number().optional(),
  camera: z.unknown().optional(),
  objects: z.array(objectRecord).optional(),
  background: z.unknown().optional(),
  lights: z.unknown().optional(),
  render: z.unknown().optional(),
  collisions: z.unknown().optional(),
});
export type SampleJson = z.infer<typeof SampleJsonSchema>;

/**
 * A schema type without its open index signatures, for writers that build from interfaces
 * (scenes/types.ts): `value satisfies KnownFields<SampleJson>` checks every known field's type.
 */
export type KnownFields<T> = T extends readonly (infer U)[]
  ? KnownFields<U>[]
  : T extends object
    ? { [K in keyof T as string extends K ? never : K]: KnownFields<T[K]> }
    : T;

const ARTICLE: Record<string, string> = { int: 'an integer', array: 'a list', object: 'an object' };

/**
 * The first issue in words, naming the field: `'width' is not a number`, `shards[2].sha256 is
 * missing` (a top-level field is quoted, as readers have always written it).
 */
export function describeIssue(error: z.ZodError, value: unknown): string {
  const issue = error.issues[0]!;
  let field = '';
  let at: unknown = value;
  for (const k of issue.path) {
    field += typeof k === 'number' ? `[${k}]` : `${field ? '.' : ''}${String(k)}`;
    at =
      at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[k] : undefined;
  }
  let what = issue.message;
  // zod's own wording for a wrong type; a schema's own message (shards) is kept.
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    what =
      at === undefined
        ? 'is missing'
        : `is not ${ARTICLE[issue.expected] ?? `a ${issue.expected}`}`;
  } else if (issue.code === 'too_small') {
    what = `is below ${String(issue.minimum)}`;
  }
  if (issue.path.length === 0) return `the JSON ${what}`;
  return `${issue.path.length === 1 ? `'${field}'` : field} ${what}`;
}
