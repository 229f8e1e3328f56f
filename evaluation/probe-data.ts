/**
 * Probe images from a rendered dataset: one left-eye frame per sequence (the middle one), its
 * category, the diagnostic-part map of the labelled object, and the cue-conflict facts. Evaluation
 * sets are small (hundreds of frames), so they are held in memory as one Float32Array.
 */
import { DatadietError } from '../core/index.ts';
import {
  readDataset,
  readManifest,
  sampleArray,
  sampleRecord,
  typedView,
  type Sample,
} from '../output/index.ts';

export interface ProbeSet {
  dir: string;
  keys: string[];
  n: number;
  h: number;
  w: number;
  /** [n, h, w, 3] in [0, 1] */
  images: Float32Array;
  /** Category (shape) index of the labelled object. */
  labels: Int32Array;
  /** [n, h, w] 1 on the labelled object's diagnostic part; null when not requested. */
  parts: Float32Array | null;
  /** Texture category index of the labelled object, -1 when it wears a random texture. */
  texture: Int32Array;
  cueConflict: Uint8Array;
  categories: string[];
  /** The manifest's fingerprint (or seed and size), for the evaluation's resume key. */
  identity: unknown;
}

/** The evaluation option that named a probe folder; its errors start with it (the CLI's flag). */
export type ProbeField = 'data' | 'decorrelated' | 'cueConflict';

function unusable(field: ProbeField, message: string, hint: string): DatadietError {
  return new DatadietError('EVAL_DATA_UNUSABLE', message, {
    hint,
    field: { config: 'evaluate', path: field },
  });
}

/** The object covering most pixels of frame t in `seg` (the first object without seg). */
function dominantObject(sample: Sample, t: number, hw: number) {
  const objects = sampleRecord(sample).objects ?? [];
  if (objects.length <= 1 || !sample.members.has('left.seg.npy')) return objects[0];
  const seg = typedView(sampleArray(sample, 'left.seg.npy'));
  const counts = new Map<number, number>();
  for (let i = t * hw; i < (t + 1) * hw; i++) {
    const id = seg[i] as number;
    if (id !== 0) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  let best = objects[0];
  let bestCount = 0;
  for (const o of objects) {
    const c = counts.get(o.id) ?? 0;
    if (c > bestCount) [best, bestCount] = [o, c];
  }
  return best;
}

export async function loadProbeSet(opts: {
  dir: string;
  /** Which evaluation option named this folder, for error messages. */
  field: ProbeField;
  maxSamples?: number | undefined;
  needParts?: boolean;
}): Promise<ProbeSet> {
  const m = await readManifest(opts.dir);
  const H = m.height;
  const W = m.width;
  const T = m.frames;
  // Optional in the format (hand-written 1.0 manifests), needed here.
  if (H === undefined || W === undefined || T === undefined) {
    throw new DatadietError(
      'DATASET_CORRUPT',
      `${opts.dir}/manifest.json lacks width/height/frames`,
      {
        hint: 'regenerate the dataset',
      },
    );
  }
  const categories = (m.categories ?? []).map((c) => c.name);
  if (categories.length < 2) {
    throw unusable(
      opts.field,
      `${opts.field} ${opts.dir}: the manifest lists no object categories, so there are no labels to probe`,
      'use a dataset written by `datadiet generate` (its manifest lists the categories)',
    );
  }
  const layers = (m.layers ?? []).map((l) => l.name);
  if (opts.needParts && !layers.includes('parts')) {
    throw unusable(
      opts.field,
      `${opts.field} ${opts.dir} has no 'parts' layer (layers: ${layers.join(', ')}), so there is no diagnostic-part reference for alignment`,
      'generate it with --layers rgb,depth,seg,parts',
    );
  }
  const limit = opts.maxSamples ?? Infinity;
  const t = Math.floor((T - 1) / 2);
  const hw = H * W;
  const images: Float32Array[] = [];
  const parts: Float32Array[] = [];
  const keys: string[] = [];
  const labels: number[] = [];
  const texture: number[] = [];
  const cue: number[] = [];
  for await (const s of readDataset(opts.dir)) {
    if (keys.length >= limit) break;
    const obj = dominantObject(s, t, hw);
    if (obj === undefined || obj.category_index < 0) continue; // nothing to label
    const rgb = typedView(sampleArray(s, 'left.rgb.npy'));
    if (rgb.length !== T * hw * 3) {
      throw new DatadietError(
        'DATASET_CORRUPT',
        `${s.shard}: sample '${s.key}' left.rgb.npy has ${rgb.length} values, the manifest says ${T}×${H}×${W}×3`,
        { hint: 'regenerate the dataset' },
      );
    }
    const img = new Float32Array(hw * 3);
    for (let i = 0; i < hw * 3; i++) img[i] = (rgb[t * hw * 3 + i] as number) / 255;
    images.push(img);
    if (opts.needParts) {
      const p = typedView(sampleArray(s, 'left.parts.npy'));
      const seg = s.members.has('left.seg.npy') ? typedView(sampleArray(s, 'left.seg.npy')) : null;
      const map = new Float32Array(hw);
      // Only the labelled object's part: another object's head is not evidence for this label.
      for (let i = 0; i < hw; i++) {
        const on = (p[t * hw + i] as number) > 0;
        map[i] = on && (seg === null || seg[t * hw + i] === obj.id) ? 1 : 0;
      }
      parts.push(map);
    }
    keys.push(s.key);
    labels.push(obj.category_index);
    texture.push(obj.texture_category_index ?? -1);
    cue.push(obj.cue_conflict ? 1 : 0);
  }
  if (keys.length === 0) {
    throw unusable(
      opts.field,
      `${opts.field} ${opts.dir}: no sample shows a labelled object`,
      'use a dataset with objects in view (e.g. preset single-object)',
    );
  }
  const n = keys.length;
  const all = new Float32Array(n * hw * 3);
  images.forEach((img, i) => all.set(img, i * hw * 3));
  let partsAll: Float32Array | null = null;
  if (opts.needParts) {
    partsAll = new Float32Array(n * hw);
    parts.forEach((p, i) => partsAll!.set(p, i * hw));
  }
  return {
    dir: opts.dir,
    keys,
    n,
    h: H,
    w: W,
    images: all,
    labels: Int32Array.from(labels),
    parts: partsAll,
    texture: Int32Array.from(texture),
    cueConflict: Uint8Array.from(cue),
    categories,
    identity: { fingerprint: m.fingerprint ?? null, seed: m.seed ?? null, sequences: m.sequences },
  };
}
