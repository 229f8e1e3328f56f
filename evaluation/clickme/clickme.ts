/**
 * ClickMe human importance maps from Harmonization's TFRecord shards (`val-0.tfrecords` …): each
 * record is a tf.train.Example with `image` (JPEG, 256×256×3), `heatmap` (JPEG, 256×256×1 or ×3)
 * and `label` (int64 ImageNet class). Preprocessing follows the Harmonization protocol: images
 * bilinear to `size`, maps → 64, Gaussian blur, → `size` (alignment.ts `clickmeReference`).
 */
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { DatadietError } from '../../core/index.ts';
import { clickmeReference, type Map2D, resizeBilinear } from '../alignment.ts';
import { decodeExample, type Example } from './example.ts';
import { countTfRecords, readTfRecords } from './tfrecord.ts';

export const CLICKME_SHARD_SUFFIX = '.tfrecords';
const IMAGENET_CLASSES = 1000;
// ClickMe JPEGs are 256²; the cap only stops a hostile file from asking for gigabytes.
const MAX_JPEG_MEGAPIXELS = 16;

export interface ClickMeSource {
  /** A folder holding `*.tfrecords` shards (read in natural order: val-2 before val-10). */
  dir?: string;
  /** Explicit shard files, read in the order given. */
  files?: string[];
  /** Read at most this many records in total. */
  limit?: number;
  /** Output side length for images and maps (default 224, the Harmonization input size). */
  size?: number;
  /** Called after each record with the number read so far (for a progress bar). */
  onProgress?: (done: number) => void;
}

export interface ClickMeItem {
  /** [size, size, 3] row-major RGB in 0..1. */
  image: Float32Array;
  /** The protocol's reference map (heatmap in 0..1 → 64, blur, → size). */
  map: Map2D;
  label: number;
  file: string;
  /** Record index within `file`. */
  index: number;
}

export interface ClickMeSet {
  n: number;
  size: number;
  /** [n, size, size, 3] in 0..1. */
  images: Float32Array;
  maps: Map2D[];
  labels: Int32Array;
  /** The shard files of the source, in read order (with `limit`, later ones may be unread). */
  files: string[];
}

const naturalOrder = (a: string, b: string) =>
  a.localeCompare(b, 'en', { numeric: true }) || (a < b ? -1 : a > b ? 1 : 0);

/** The shard files a source names: `files` as given, or the dir's `*.tfrecords` in natural order. */
export async function clickmeShards(source: Pick<ClickMeSource, 'dir' | 'files'>) {
  if (source.files) {
    if (source.files.length === 0) {
      throw new DatadietError('CLICKME_NOT_FOUND', 'no ClickMe shard files given', {
        hint: 'pass at least one .tfrecords file',
      });
    }
    for (const file of source.files) {
      try {
        await access(file);
      } catch (e) {
        throw new DatadietError('CLICKME_NOT_FOUND', `ClickMe shard ${file} does not exist`, {
          hint: 'check the path to the .tfrecords file',
          cause: e,
        });
      }
    }
    return source.files;
  }
  const dir = source.dir;
  if (dir === undefined) {
    throw new DatadietError('CLICKME_NOT_FOUND', 'no ClickMe folder or files given', {
      hint: 'pass the folder holding the ClickMe val-*.tfrecords shards',
    });
  }
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new DatadietError('CLICKME_NOT_FOUND', `ClickMe folder ${dir} does not exist`, {
        hint: 'download the Harmonization ClickMe shards and pass their folder',
        cause: e,
      });
    }
    throw e;
  }
  const shards = names.filter((n) => n.endsWith(CLICKME_SHARD_SUFFIX)).sort(naturalOrder);
  if (shards.length === 0) {
    throw new DatadietError('CLICKME_NOT_FOUND', `${dir} holds no *${CLICKME_SHARD_SUFFIX} files`, {
      hint: 'pass the folder holding the ClickMe val-*.tfrecords shards',
    });
  }
  return shards.map((n) => join(dir, n));
}

function badRecord(where: string, what: string, cause?: unknown): DatadietError {
  return new DatadietError('CLICKME_BAD_RECORD', `${where}: ${what}`, {
    hint: 'ClickMe records need JPEG `image` and `heatmap` bytes and an int64 `label` in 0..999',
    cause,
  });
}

function bytesFeature(ex: Example, name: string, where: string): Uint8Array {
  const f = ex[name];
  if (!f) throw badRecord(where, `missing feature '${name}'`);
  if (f.kind !== 'bytes' || f.values.length !== 1) {
    throw badRecord(where, `feature '${name}' must hold one byte string, found ${f.kind} list`);
  }
  return f.values[0]!;
}

function labelFeature(ex: Example, where: string): number {
  const f = ex.label;
  if (!f) throw badRecord(where, "missing feature 'label'");
  if (f.kind !== 'int64' || f.values.length !== 1) {
    throw badRecord(where, `feature 'label' must hold one int64, found ${f.kind} list`);
  }
  const label = f.values[0]!;
  if (label < 0n || label >= BigInt(IMAGENET_CLASSES)) {
    throw badRecord(where, `label ${label} is outside 0..${IMAGENET_CLASSES - 1}`);
  }
  return Number(label);
}

/** JPEG → RGB bytes (greyscale JPEGs come back with R = G = B). */
function decodeJpeg(bytes: Uint8Array, where: string) {
  try {
    return jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: MAX_JPEG_MEGAPIXELS,
    });
  } catch (e) {
    throw badRecord(where, `not a decodable JPEG (${(e as Error).message})`, e);
  }
}

/** Planar float channel `c` (of 3) of interleaved RGB bytes, scaled to 0..1. */
function channel(rgb: Uint8Array, h: number, w: number, c: number): Map2D {
  const data = new Float32Array(h * w);
  for (let i = 0; i < data.length; i++) data[i] = rgb[i * 3 + c]! / 255;
  return { data, h, w };
}

function preprocessImage(bytes: Uint8Array, size: number, where: string): Float32Array {
  const { data, width, height } = decodeJpeg(bytes, `${where} image`);
  const out = new Float32Array(size * size * 3);
  for (let c = 0; c < 3; c++) {
    const resized = resizeBilinear(channel(data, height, width, c), size, size).data;
    for (let i = 0; i < resized.length; i++) out[i * 3 + c] = resized[i]!;
  }
  return out;
}

function preprocessHeatmap(bytes: Uint8Array, size: number, where: string): Map2D {
  const { data, width, height } = decodeJpeg(bytes, `${where} heatmap`);
  // ClickMe maps are greyscale; a 3-channel JPEG of one is averaged so chroma noise cancels.
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) {
    grey[i] = (data[i * 3]! + data[i * 3 + 1]! + data[i * 3 + 2]!) / (3 * 255);
  }
  return clickmeReference({ data: grey, h: height, w: width }, size);
}

function checkedLimit(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`ClickMe limit must be a whole number ≥ 0, got ${limit}`);
  }
  return limit;
}

/**
 * Streams ClickMe items one record at a time (the full validation set does not fit in memory as
 * floats at 224²). Bad CRCs raise TFRECORD_CORRUPT, unusable records CLICKME_BAD_RECORD.
 */
export async function* readClickMe(source: ClickMeSource): AsyncGenerator<ClickMeItem> {
  const size = source.size ?? 224;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`readClickMe: bad size ${size}`);
  const limit = checkedLimit(source.limit);
  if (limit === 0) return;
  let done = 0;
  for (const file of await clickmeShards(source)) {
    for await (const record of readTfRecords(file)) {
      const where = `${file}: record ${record.index}`;
      const ex = decodeExample(record.data, where);
      const image = preprocessImage(bytesFeature(ex, 'image', where), size, where);
      const map = preprocessHeatmap(bytesFeature(ex, 'heatmap', where), size, where);
      const label = labelFeature(ex, where);
      yield { image, map, label, file, index: record.index };
      done++; // not inside `onProgress?.(…)`: an absent callback would skip the increment
      source.onProgress?.(done);
      if (done >= limit) return;
    }
  }
}

/**
 * Loads ClickMe items into one batch: images [n, size, size, 3], reference maps, labels. Records
 * are counted first (length fields only) so the image buffer is allocated once; at 224² an image
 * is 0.6 MB of floats, so pass `limit` (or stream with `readClickMe`) for the full validation set.
 */
export async function loadClickMe(source: ClickMeSource): Promise<ClickMeSet> {
  const size = source.size ?? 224;
  const files = await clickmeShards(source);
  let total = 0;
  for (const file of files) total += await countTfRecords(file);
  const n = Math.min(total, checkedLimit(source.limit));
  const pixels = size * size * 3;
  const images = new Float32Array(n * pixels);
  const maps: Map2D[] = [];
  const labels = new Int32Array(n);
  for await (const item of readClickMe({ ...source, files, limit: n })) {
    images.set(item.image, maps.length * pixels);
    labels[maps.length] = item.label;
    maps.push(item.map);
  }
  return { n, size, images, maps, labels, files };
}
