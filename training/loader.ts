/**
 * Streams a dataset's shards (through output/ readers) into batches of clips: T consecutive frames
 * of one eye, optionally the other eye of the same instants, optionally a category label, and the
 * clip's self-motion rows (`motion.npy`) when the dataset has them. A seeded
 * shuffle buffer of bounded size mixes clips across sequences and shards; only the buffer and the
 * current sample are in memory, so datasets far larger than RAM stream through. Pixels stay uint8
 * until a batch is made into a tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { DatadietError, Rng } from '../core/index.ts';
import {
  readManifest,
  sampleArray,
  sampleRecord,
  typedView,
  type Manifest,
  type Sample,
} from '../output/index.ts';
import { diskSource, type SampleSource, type SkipReport } from './sources.ts';

export const LoaderOptionsSchema = z.strictObject({
  /** Dataset folder; unused when a `source` (a stream) is given to createLoader. */
  dir: z.string().min(1).default('(stream)'),
  batchSize: z.number().int().min(1),
  /** Frames per clip (T). */
  clipLength: z.number().int().min(1).default(2),
  /** Frames between the starts of successive clips of one sequence (default: every start). */
  clipStride: z.number().int().min(1).default(1),
  /** 'both' adds the right eye of the same instants (binocular objectives). */
  eyes: z.enum(['left', 'both']).default('left'),
  /** Resize every frame to [height, width] (bilinear); default: the dataset's size. */
  size: z.tuple([z.number().int().min(4), z.number().int().min(4)]).optional(),
  /** Clips held at once for shuffling; 1 = stream order. */
  shuffleBuffer: z.number().int().min(1).default(256),
  seed: z.number().int().min(0).default(0),
  labels: z.boolean().default(false),
  /** Hold out every k-th sequence (0 = none); `split` picks which side this loader reads. */
  heldOutEvery: z.number().int().min(0).default(0),
  split: z.enum(['train', 'heldout', 'all']).default('all'),
  /** Loop over the dataset forever (training) or stop after one pass (evaluation). */
  repeat: z.boolean().default(true),
  /** Batches read ahead from disk while the consumer computes. */
  prefetch: z.number().int().min(0).default(2),
  /** Self-motion rows of each clip (`motion.npy`); off unless asked for (only egomotion reads them). */
  motion: z.boolean().optional(),
  /** Leave damaged shards and samples out (listed in `Loader.skipped`) instead of stopping. */
  skipCorrupt: z.boolean().default(false),
});
export type LoaderOptions = z.input<typeof LoaderOptionsSchema>;

export interface DataInfo {
  width: number;
  height: number;
  frames: number;
  sequences: number;
  numClasses: number;
  layers: string[];
  /** Column names of the per-sample `motion.npy` (empty when the dataset has none). */
  motionColumns: string[];
  motionMember: string;
}

/** A batch as tensors: pixels float32 in [0, 1]. The caller disposes it (`disposeBatch`). */
export interface Batch {
  /** [B, T, H, W, 3] */
  left: tf.Tensor5D;
  right?: tf.Tensor5D;
  /** [B] int32 category_index */
  labels?: tf.Tensor1D;
  /** [B, T, C] float32 self-motion rows of the clip's frames (manifest.motion.columns). */
  motion?: tf.Tensor3D;
  keys: string[];
  /** Where the loader stood after this batch (absent for the remainder of a finite pass). */
  state?: LoaderState;
}

interface Clip {
  /** `<ordinal>@<start>`: names the clip in a saved shuffle buffer. */
  id: string;
  start: number;
  key: string;
  left: Uint8Array;
  right?: Uint8Array;
  motion?: Float32Array;
  label: number;
}

interface RawBatch {
  clips: Clip[];
  state?: LoaderState;
}

export function disposeBatch(b: Batch): void {
  b.left.dispose();
  b.right?.dispose();
  b.labels?.dispose();
  b.motion?.dispose();
}

/** Shape facts from the manifest; DATASET_NOT_FOUND / DATASET_CORRUPT when it is not a dataset. */
export async function readDataInfo(dir: string): Promise<DataInfo> {
  return dataInfoOf(await readManifest(dir), dir);
}

/** Shape facts from a manifest (a dataset's, or the one a stream would write). */
export function dataInfoOf(m: Manifest, dir: string): DataInfo {
  // Optional in the format (hand-written 1.0 manifests), needed here.
  const num = (k: 'width' | 'height' | 'frames') => {
    const v = m[k];
    if (v === undefined) {
      throw new DatadietError('DATASET_CORRUPT', `${dir}/manifest.json: '${k}' is not a number`, {
        hint: 'the manifest is damaged; rerun `datadiet generate` with the same arguments',
      });
    }
    return v;
  };
  return {
    width: num('width'),
    height: num('height'),
    frames: num('frames'),
    sequences: m.sequences ?? 0,
    numClasses: m.categories?.length ?? 0,
    layers: (m.layers ?? []).map((l) => l.name),
    motionColumns: (m.motion?.columns ?? []).map((c) => c.name),
    motionMember: m.motion?.member ?? 'motion.npy',
  };
}

/**
 * The sequence's label: the category of the object covering the most pixels in the left `seg`
 * layer over all frames; the first object when there is no seg layer or no object is visible.
 * -1 when the sequence has no objects.
 */
export function sequenceLabel(sample: Sample): number {
  const json = sampleRecord(sample);
  const objects = json.objects ?? [];
  const first = objects[0];
  if (first === undefined) return -1;
  if (objects.length === 1 || !sample.members.has('left.seg.npy')) return first.category_index;
  const segArr = sampleArray(sample, 'left.seg.npy');
  const want = [json.T, json.H, json.W].join();
  if (segArr.dtype !== 'uint16' || segArr.shape.join() !== want) {
    throw new DatadietError(
      'DATASET_CORRUPT',
      `${sample.shard}: sample '${sample.key}' left.seg.npy is ${segArr.dtype} [${segArr.shape.join(',')}], its JSON says uint16 [${want}]`,
      { hint: 'regenerate the dataset' },
    );
  }
  const seg = typedView(segArr);
  const counts = new Map<number, number>();
  for (let i = 0; i < seg.length; i++) {
    const id = seg[i] as number;
    if (id !== 0) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  let best = first;
  let bestCount = 0;
  for (const o of objects) {
    const c = counts.get(o.id) ?? 0;
    if (c > bestCount) [best, bestCount] = [o, c];
  }
  return best.category_index;
}

function checkRgb(sample: Sample, eye: string, info: DataInfo): Uint8Array {
  const arr = sampleArray(sample, `${eye}.rgb.npy`);
  const want = [info.frames, info.height, info.width, 3];
  if (arr.dtype !== 'uint8' || arr.shape.join() !== want.join()) {
    throw new DatadietError(
      'DATASET_CORRUPT',
      `${sample.shard}: sample '${sample.key}' ${eye}.rgb.npy is ${arr.dtype} [${arr.shape.join(',')}], the manifest says uint8 [${want.join(',')}]`,
      { hint: 'regenerate the dataset' },
    );
  }
  return typedView(arr) as Uint8Array;
}

const wantsMotion = (o: z.infer<typeof LoaderOptionsSchema>, info: DataInfo) =>
  (o.motion ?? false) && info.motionColumns.length > 0;

function checkMotion(sample: Sample, info: DataInfo): Float32Array {
  const arr = sampleArray(sample, info.motionMember);
  const want = [info.frames, info.motionColumns.length];
  if (arr.dtype !== 'float32' || arr.shape.join() !== want.join()) {
    throw new DatadietError(
      'DATASET_CORRUPT',
      `${sample.shard}: sample '${sample.key}' ${info.motionMember} is ${arr.dtype} [${arr.shape.join(',')}], the manifest says float32 [${want.join(',')}]`,
      { hint: 'regenerate the dataset' },
    );
  }
  return typedView(arr) as Float32Array;
}

/** Clips of one sample, in frame order. */
function clipsOf(
  sample: Sample,
  ordinal: number,
  o: z.infer<typeof LoaderOptionsSchema>,
  info: DataInfo,
): Clip[] {
  const frame = info.height * info.width * 3;
  const left = checkRgb(sample, 'left', info);
  const right = o.eyes === 'both' ? checkRgb(sample, 'right', info) : undefined;
  const label = o.labels ? sequenceLabel(sample) : 0;
  if (o.labels && label < 0) return []; // nothing to learn a category from
  const motion = wantsMotion(o, info) ? checkMotion(sample, info) : undefined;
  const cols = info.motionColumns.length;
  const out: Clip[] = [];
  for (let s = 0; s + o.clipLength <= info.frames; s += o.clipStride) {
    const range = [s * frame, (s + o.clipLength) * frame] as const;
    // Copies, so the sample's buffers can be freed while the clip waits in the buffer.
    const clip: Clip = {
      id: `${ordinal}@${s}`,
      start: s,
      key: `${sample.key}@${s}`,
      left: left.slice(...range),
      label,
    };
    if (right) clip.right = right.slice(...range);
    if (motion) clip.motion = motion.slice(s * cols, (s + o.clipLength) * cols);
    out.push(clip);
  }
  return out;
}

/**
 * Where a loader stands after handing out a batch: enough to rebuild it exactly. The shuffle
 * buffer is stored by clip id (`<ordinal>@<start>`) and refilled from the source on resume; the
 * shuffle RNG is restored by replaying its draw count.
 */
export interface LoaderState {
  format: 1;
  /** Batches handed out so far. */
  batches: number;
  /** Shuffle draws so far. */
  draws: number;
  /** Ordinal of the first sample of the group being read, and the next clip index in it. */
  group: number;
  clip: number;
  /** Clip ids in the shuffle buffer, in buffer order. */
  buffer: string[];
}

async function* rawBatches(
  o: z.infer<typeof LoaderOptionsSchema>,
  info: DataInfo,
  source: SampleSource,
  resume: LoaderState | undefined,
): AsyncGenerator<RawBatch> {
  const rng = new Rng(o.seed, 'loader/shuffle');
  const toClips = (sample: Sample, ordinal: number) => {
    const k = source.passLength === undefined ? ordinal : ordinal % source.passLength;
    const heldOut = o.heldOutEvery > 0 && k % o.heldOutEvery === o.heldOutEvery - 1;
    if ((o.split === 'train' && heldOut) || (o.split === 'heldout' && !heldOut)) return [];
    return clipsOf(sample, ordinal, o, info);
  };
  let buffer: Clip[] = [];
  let batch: Clip[] = [];
  let draws = 0;
  let batches = 0;
  let from = 0;
  let skipClips = 0;
  if (resume) {
    for (let i = 0; i < resume.draws; i++) rng.next();
    ({ draws, batches, group: from, clip: skipClips } = resume);
    const ordinals = new Set(resume.buffer.map((id) => Number(id.split('@')[0])));
    const got = await source.fetch(ordinals, toClips);
    buffer = resume.buffer.map((id) => {
      const [ord, start] = id.split('@');
      const c = got.get(Number(ord))?.find((x) => x.start === Number(start));
      if (!c) {
        throw new DatadietError(
          'RUN_MISMATCH',
          `resuming: clip ${id} of the saved shuffle buffer is not in ${source.describe} any more`,
          { hint: 'resume with the data the run was trained on, or train into a new --out' },
        );
      }
      return c;
    });
  }
  const take = (): Clip => {
    draws++;
    const i = rng.int(0, buffer.length - 1);
    const c = buffer[i] as Clip;
    buffer[i] = buffer[buffer.length - 1] as Clip;
    buffer.pop();
    return c;
  };
  let seen = 0;
  let firstGroup = true;
  for await (const group of source.groups(from, toClips)) {
    const startAt = firstGroup && group.first === from ? skipClips : 0;
    firstGroup = false;
    seen += group.clips.length;
    for (let ci = startAt; ci < group.clips.length; ci++) {
      buffer.push(group.clips[ci] as Clip);
      if (buffer.length < o.shuffleBuffer) continue;
      batch.push(take());
      if (batch.length === o.batchSize) {
        batches++;
        const state: LoaderState = {
          format: 1,
          batches,
          draws,
          group: group.first,
          clip: ci + 1,
          buffer: buffer.map((c) => c.id),
        };
        yield { clips: batch, state };
        batch = [];
      }
    }
    if (group.endOfPass) {
      if (seen === 0) {
        throw new DatadietError(
          'DATASET_NOT_FOUND',
          `${source.describe}: no clips of ${o.clipLength} frames in the ${o.split} split${o.labels ? ' with a labelled object' : ''}`,
          { hint: 'use a dataset with more sequences or frames, or a shorter clip' },
        );
      }
      seen = 0;
    }
  }
  // One pass over a finite dataset: the buffer's remainder too.
  while (buffer.length > 0) {
    batch.push(take());
    if (batch.length === o.batchSize) {
      yield { clips: batch };
      batch = [];
    }
  }
  if (batch.length > 0) yield { clips: batch };
}

/** Reads up to `n` items ahead of the consumer, so disk and decoding overlap with compute. */
async function* prefetch<T>(it: AsyncGenerator<T>, n: number): AsyncGenerator<T> {
  if (n <= 0) {
    yield* it;
    return;
  }
  const queue: Promise<IteratorResult<T>>[] = [];
  try {
    for (;;) {
      while (queue.length < n + 1) queue.push(it.next());
      const r = await (queue.shift() as Promise<IteratorResult<T>>);
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return(undefined);
  }
}

function toTensor(
  clips: Clip[],
  pick: (c: Clip) => Uint8Array,
  o: z.infer<typeof LoaderOptionsSchema>,
  info: DataInfo,
): tf.Tensor5D {
  const per = o.clipLength * info.height * info.width * 3;
  const data = new Float32Array(clips.length * per);
  clips.forEach((c, i) => {
    const src = pick(c);
    for (let j = 0; j < per; j++) data[i * per + j] = (src[j] as number) / 255;
  });
  const [h, w] = o.size ?? [info.height, info.width];
  return tf.tidy(() => {
    const t = tf.tensor5d(data, [clips.length, o.clipLength, info.height, info.width, 3]);
    if (h === info.height && w === info.width) return t;
    const flat = t.reshape([
      clips.length * o.clipLength,
      info.height,
      info.width,
      3,
    ]) as tf.Tensor4D;
    return tf.image
      .resizeBilinear(flat, [h, w], true)
      .reshape([clips.length, o.clipLength, h, w, 3]) as tf.Tensor5D;
  });
}

export interface Loader {
  info: DataInfo;
  options: z.infer<typeof LoaderOptionsSchema>;
  /** Batches from the start, or from a saved state (exact resume). */
  batches(resume?: LoaderState): AsyncGenerator<Batch>;
  /** Shards and samples left out with `skipCorrupt`. */
  skipped: SkipReport;
  source: SampleSource;
}

/**
 * Opens a dataset (or a given source, e.g. a stream from the renderer) for training; checks the
 * manifest and clip length before any batch is read.
 */
export async function createLoader(
  options: LoaderOptions,
  from: { source?: SampleSource; info?: DataInfo } = {},
): Promise<Loader> {
  const o = LoaderOptionsSchema.parse(options);
  const info = from.info ?? (await readDataInfo(o.dir));
  const source =
    from.source ?? (await diskSource({ dir: o.dir, repeat: o.repeat, skipCorrupt: o.skipCorrupt }));
  if (!info.layers.includes('rgb')) {
    throw new DatadietError(
      'MODEL_DATA_MISMATCH',
      `${o.dir} has no rgb layer (has: ${info.layers.join(', ')})`,
      {
        hint: 'generate the dataset with --layers including rgb',
      },
    );
  }
  if (info.frames < o.clipLength) {
    throw new DatadietError(
      'MODEL_DATA_MISMATCH',
      `clips of ${o.clipLength} frames need sequences that long; ${o.dir} has ${info.frames} frames per sequence`,
      { hint: 'use a shorter --clip, or generate with more --frames' },
    );
  }
  if (o.motion === true && info.motionColumns.length === 0) {
    throw new DatadietError(
      'MODEL_DATA_MISMATCH',
      `${o.dir} has no self-motion signals (manifest.json has no 'motion' entry)`,
      { hint: 'regenerate the dataset with this version of datadiet (it writes <key>.motion.npy)' },
    );
  }
  if (o.labels && info.numClasses === 0) {
    throw new DatadietError('MODEL_DATA_MISMATCH', `${o.dir}/manifest.json lists no categories`, {
      hint: 'supervised training needs a dataset with object categories',
    });
  }
  return {
    info,
    options: o,
    skipped: source.skipped,
    source,
    async *batches(resume?: LoaderState) {
      for await (const raw of prefetch(rawBatches(o, info, source, resume), o.prefetch)) {
        const b: Batch = {
          left: toTensor(raw.clips, (c) => c.left, o, info),
          keys: raw.clips.map((c) => c.key),
        };
        if (raw.state) b.state = raw.state;
        if (o.eyes === 'both') b.right = toTensor(raw.clips, (c) => c.right as Uint8Array, o, info);
        if (wantsMotion(o, info)) {
          const cols = info.motionColumns.length;
          const rows = new Float32Array(raw.clips.length * o.clipLength * cols);
          raw.clips.forEach((c, i) => rows.set(c.motion as Float32Array, i * o.clipLength * cols));
          b.motion = tf.tensor3d(rows, [raw.clips.length, o.clipLength, cols]);
        }
        if (o.labels)
          b.labels = tf.tensor1d(
            raw.clips.map((c) => c.label),
            'int32',
          );
        yield b;
      }
    },
  };
}
