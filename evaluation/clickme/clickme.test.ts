import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectDatadietError } from '../../core/test-helpers.ts';
import { tempDir } from '../../generator/test-helpers.ts';
import { encodeExample, type Example } from './example.ts';
import { loadClickMe, readClickMe } from './clickme.ts';
import { writeTfRecords } from './tfrecord.ts';

const SIDE = 256;

/** A real JPEG: uniform colour with an optional bright rectangle (rows r0..r1, cols c0..c1). */
function makeJpeg(
  rgb: [number, number, number],
  rect?: { r0: number; r1: number; c0: number; c1: number },
): Uint8Array {
  const data = Buffer.alloc(SIDE * SIDE * 4);
  for (let r = 0; r < SIDE; r++) {
    for (let c = 0; c < SIDE; c++) {
      const inRect = rect && r >= rect.r0 && r < rect.r1 && c >= rect.c0 && c < rect.c1;
      const i = (r * SIDE + c) * 4;
      data[i] = inRect ? 255 : rgb[0];
      data[i + 1] = inRect ? 255 : rgb[1];
      data[i + 2] = inRect ? 255 : rgb[2];
      data[i + 3] = 255;
    }
  }
  return Uint8Array.from(jpeg.encode({ data, width: SIDE, height: SIDE }, 95).data);
}

const BLOB = { r0: 40, r1: 90, c0: 150, c1: 210 };

// jpeg-js is slow on a loaded machine: encode each distinct picture once.
const jpegs = new Map<string, Uint8Array>();
const cachedJpeg = (rgb: [number, number, number], rect?: typeof BLOB) => {
  const key = JSON.stringify([rgb, rect]);
  if (!jpegs.has(key)) jpegs.set(key, makeJpeg(rgb, rect));
  return jpegs.get(key)!;
};

function record(label: bigint, rgb: [number, number, number], omit?: string): Uint8Array {
  const ex: Example = {
    image: { kind: 'bytes', values: [cachedJpeg(rgb)] },
    heatmap: { kind: 'bytes', values: [cachedJpeg([0, 0, 0], BLOB)] },
    label: { kind: 'int64', values: [label] },
  };
  if (omit) delete ex[omit];
  return encodeExample(ex);
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir('clickme');
  // Natural order must put val-2 before val-10; a plain sort would not.
  await writeTfRecords(join(dir, 'val-10.tfrecords'), [record(999n, [20, 200, 40])]);
  await writeTfRecords(join(dir, 'val-2.tfrecords'), [
    record(3n, [200, 50, 100]),
    record(0n, [10, 10, 240]),
  ]);
  await writeFile(join(dir, 'README.txt'), 'not a shard');
});

describe('loadClickMe', () => {
  it('reads shards in natural order into [N,224,224,3] images, reference maps and labels', async () => {
    const set = await loadClickMe({ dir });
    expect(set.n).toBe(3);
    expect(set.size).toBe(224);
    expect(set.files.map((f) => f.slice(dir.length + 1))).toEqual([
      'val-2.tfrecords',
      'val-10.tfrecords',
    ]);
    expect(Array.from(set.labels)).toEqual([3, 0, 999]);
    expect(set.images.length).toBe(3 * 224 * 224 * 3);
    // first image, centre pixel: the uniform colour in 0..1 (JPEG is lossy, so ±0.03)
    const px = (n: number, r: number, c: number) =>
      Array.from(
        set.images.subarray(((n * 224 + r) * 224 + c) * 3, ((n * 224 + r) * 224 + c) * 3 + 3),
      );
    px(0, 112, 112).forEach((v, i) => expect(v).toBeCloseTo([200, 50, 100][i]! / 255, 1));
    px(2, 5, 200).forEach((v, i) => expect(v).toBeCloseTo([20, 200, 40][i]! / 255, 1));
    expect(set.images.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('blurs and rescales the heatmap so its mass stays on the clicked region', async () => {
    const { maps } = await loadClickMe({ dir, limit: 1 });
    expect(maps).toHaveLength(1);
    const m = maps[0]!;
    expect([m.h, m.w]).toEqual([224, 224]);
    // BLOB in 224 coordinates: rows 35..79, cols 131..184
    const s = 224 / SIDE;
    let inside = 0;
    let nIn = 0;
    let outside = 0;
    let nOut = 0;
    let argmax = 0;
    for (let i = 0; i < m.data.length; i++) {
      const r = Math.floor(i / 224);
      const c = i % 224;
      const isIn = r >= BLOB.r0 * s && r < BLOB.r1 * s && c >= BLOB.c0 * s && c < BLOB.c1 * s;
      if (isIn) {
        inside += m.data[i]!;
        nIn++;
      } else {
        outside += m.data[i]!;
        nOut++;
      }
      if (m.data[i]! > m.data[argmax]!) argmax = i;
    }
    expect(inside / nIn).toBeGreaterThan(10 * (outside / nOut));
    const [ar, ac] = [Math.floor(argmax / 224), argmax % 224];
    expect(ar).toBeGreaterThanOrEqual(BLOB.r0 * s);
    expect(ar).toBeLessThan(BLOB.r1 * s);
    expect(ac).toBeGreaterThanOrEqual(BLOB.c0 * s);
    expect(ac).toBeLessThan(BLOB.c1 * s);
    // a 10x10 kernel at 64² smears the sharp edge: values between 0 and 1 at the border
    expect(m.data.some((v) => v > 0.05 && v < 0.9)).toBe(true);
  });

  it('honours limit, size and explicit files, and streams with progress', async () => {
    const set = await loadClickMe({ files: [join(dir, 'val-10.tfrecords')], size: 32 });
    expect(set.n).toBe(1);
    expect(set.images.length).toBe(32 * 32 * 3);
    expect([set.maps[0]!.h, set.maps[0]!.w]).toEqual([32, 32]);
    expect(Array.from(set.labels)).toEqual([999]);
    const seen: number[] = [];
    const items = [];
    for await (const item of readClickMe({
      dir,
      limit: 2,
      size: 16,
      onProgress: (d) => seen.push(d),
    })) {
      items.push(item);
    }
    expect(items.map((i) => [i.label, i.index])).toEqual([
      [3, 0],
      [0, 1],
    ]);
    expect(seen).toEqual([1, 2]);
  });

  it('raises CLICKME_NOT_FOUND for a missing folder, a folder without shards or a missing file', async () => {
    await expectDatadietError(
      loadClickMe({ dir: join(dir, 'nope') }),
      'CLICKME_NOT_FOUND',
      /does not exist/,
    );
    const empty = await tempDir('clickme-empty');
    await expectDatadietError(
      loadClickMe({ dir: empty }),
      'CLICKME_NOT_FOUND',
      /no \*\.tfrecords files/,
    );
    await expectDatadietError(
      loadClickMe({ files: [join(dir, 'val-99.tfrecords')] }),
      'CLICKME_NOT_FOUND',
      /val-99\.tfrecords does not exist/,
    );
  });

  it('raises CLICKME_BAD_RECORD naming the file, record and missing feature or bad label', async () => {
    const bad = await tempDir('clickme-bad');
    await mkdir(bad, { recursive: true });
    const file = join(bad, 'val-0.tfrecords');
    await writeTfRecords(file, [record(1n, [1, 2, 3]), record(2n, [1, 2, 3], 'heatmap')]);
    await expectDatadietError(
      loadClickMe({ dir: bad }),
      'CLICKME_BAD_RECORD',
      /val-0\.tfrecords: record 1: missing feature 'heatmap'/,
    );
    await writeTfRecords(file, [record(1000n, [1, 2, 3])]);
    await expectDatadietError(
      loadClickMe({ dir: bad }),
      'CLICKME_BAD_RECORD',
      /label 1000 is outside 0\.\.999/,
    );
    const notJpeg = encodeExample({
      image: { kind: 'bytes', values: [Uint8Array.from([1, 2, 3])] },
      heatmap: { kind: 'bytes', values: [Uint8Array.from([1, 2, 3])] },
      label: { kind: 'int64', values: [1n] },
    });
    await writeTfRecords(file, [notJpeg]);
    await expectDatadietError(
      loadClickMe({ dir: bad }),
      'CLICKME_BAD_RECORD',
      /record 0 image: not a decodable JPEG/,
    );
  });
});
