import { describe, expect, it } from 'vitest';
import { DatadietError } from '../core/index.ts';
import {
  DTYPES,
  decodeNpy,
  encodeNpy,
  encodeNpyParts,
  ndarray,
  npyHeader,
  shapeSize,
  typedView,
  type DType,
  type NdArray,
} from './npy.ts';

const ALL_DTYPES = Object.keys(DTYPES) as DType[];
const SHAPES = [[], [5], [2, 3], [0, 3], [2, 3, 4, 5]];

/** Deterministic bytes; a byte pattern, so float NaN patterns round-trip too. */
function patternArray(dtype: DType, shape: number[]): NdArray {
  const data = Buffer.alloc(shapeSize(shape) * DTYPES[dtype].itemsize);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) & 0xff;
  return { dtype, shape, data };
}

function expectCorrupt(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DatadietError);
    expect((e as DatadietError).code).toBe('DATASET_CORRUPT');
    expect((e as DatadietError).message).toMatch(pattern);
    return;
  }
  throw new Error('expected DATASET_CORRUPT');
}

/** A hand-made .npy with an arbitrary header dict, for the decoder's edge cases. */
function rawNpy(dict: string, data: Buffer, version = 1): Buffer {
  const prefix = version === 1 ? 10 : 12;
  const body = `${dict}\n`;
  const pad = (64 - ((prefix + body.length) % 64)) % 64;
  const text = Buffer.from(dict + ' '.repeat(pad) + '\n', version === 3 ? 'utf8' : 'latin1');
  const head = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  return Buffer.concat([head, text, data]);
}

describe('npy', () => {
  it.each(ALL_DTYPES)('round-trips %s for 0-d, 1-d, 2-d, empty and 4-d shapes', (dtype) => {
    for (const shape of SHAPES) {
      const arr = patternArray(dtype, shape);
      const file = encodeNpy(arr);
      const back = decodeNpy(file);
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual(shape);
      expect(back.data.equals(arr.data)).toBe(true);
      expect(Array.from(typedView(back))).toEqual(Array.from(typedView(arr)));
    }
  });

  it('writes the header numpy writes, padded to a multiple of 64', () => {
    const h = npyHeader('float32', [2, 3]);
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    // Bytes as np.save writes them (numpy 2.4): 21-digit growth room, then padding and '\n'.
    expect(h.length).toBe(128);
    expect(h.subarray(0, 10).equals(Buffer.from('\x93NUMPY\x01\x00v\x00', 'latin1'))).toBe(true);
    expect(h.toString('latin1', 10)).toBe(dict + ' '.repeat(128 - 10 - dict.length - 1) + '\n');
    expect(npyHeader('uint8', [5]).toString('latin1')).toContain("'shape': (5,), }");
    expect(npyHeader('float64', []).toString('latin1')).toContain("'shape': (), }");
    for (const dtype of ALL_DTYPES) {
      for (const shape of [...SHAPES, [123456789, 1, 1, 1, 1, 1, 1, 1]]) {
        const header = npyHeader(dtype, shape);
        expect(header.length % 64).toBe(0);
        expect(header[header.length - 1]).toBe(0x0a);
        expect(header.toString('latin1')).toContain(`'descr': '${DTYPES[dtype].descr}'`);
      }
    }
  });

  it('encodes chunked data without concatenating it', () => {
    const a = Buffer.from([1, 2, 3]);
    const b = Buffer.from([4, 5, 6]);
    const parts = encodeNpyParts('uint8', [2, 3], [a, b]);
    expect(parts).toHaveLength(3);
    expect(parts[1]).toBe(a);
    expect(parts[2]).toBe(b);
    const back = decodeNpy(Buffer.concat(parts));
    expect([...back.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => encodeNpyParts('uint16', [2, 3], [a, b])).toThrow(/needs 12 bytes, got 6/);
  });

  it('builds arrays from typed arrays and views them back', () => {
    const f = new Float32Array([1.5, -2, 3.25, 0]);
    const arr = ndarray('float32', [2, 2], f);
    expect(Array.from(typedView(arr))).toEqual([1.5, -2, 3.25, 0]);
    expect(typedView(ndarray('float16', [1], new Uint16Array([0x3c00])))).toBeInstanceOf(
      Uint16Array,
    );
    expect(() => ndarray('float32', [3], f)).toThrow(/needs 12 bytes/);
  });

  it('copies only when the bytes are unaligned for the dtype', () => {
    const ab = new ArrayBuffer(1 + 8 * 3);
    const unaligned = Buffer.from(ab, 1, 8 * 3);
    new DataView(ab).setFloat64(1, 1.25, true);
    new DataView(ab).setFloat64(9, -7, true);
    new DataView(ab).setFloat64(17, 1e300, true);
    const view = typedView({ dtype: 'float64', shape: [3], data: unaligned });
    expect(Array.from(view)).toEqual([1.25, -7, 1e300]);
    const aligned = Buffer.from(ab.slice(1));
    const shared = typedView({ dtype: 'float64', shape: [3], data: aligned });
    expect(shared.buffer).toBe(aligned.buffer); // no copy
  });

  it('reads v2.0 and v3.0 headers, double quotes and Python 2 longs', () => {
    const data = Buffer.from(new Int16Array([1, -2, 3, -4, 5, -6]).buffer);
    for (const [dict, version] of [
      ["{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }", 2],
      ["{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }", 3],
      ['{"shape": (2L, 3L), "descr": "<i2", "fortran_order": False}', 1],
    ] as const) {
      const arr = decodeNpy(rawNpy(dict, data, version));
      expect(arr.shape).toEqual([2, 3]);
      expect(Array.from(typedView(arr))).toEqual([1, -2, 3, -4, 5, -6]);
    }
  });

  it('rejects what it cannot read with DATASET_CORRUPT', () => {
    const four = Buffer.alloc(4);
    expectCorrupt(() => decodeNpy(Buffer.from('not numpy at all')), /not an \.npy file/);
    expectCorrupt(
      () => decodeNpy(rawNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", four)),
      /big-endian/,
    );
    expectCorrupt(
      () => decodeNpy(rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }", four)),
      /Fortran-order/,
    );
    expectCorrupt(
      () => decodeNpy(rawNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", four)),
      /unsupported dtype '<c8'/,
    );
    expectCorrupt(
      () => decodeNpy(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", four)),
      /needs 8 data bytes, file has 4/,
    );
    const good = encodeNpy(patternArray('float32', [4, 4]));
    expectCorrupt(() => decodeNpy(good.subarray(0, 100)), /truncated header/);
    expectCorrupt(() => decodeNpy(good.subarray(0, good.length - 1)), /needs 64 data bytes/);
    const v9 = Buffer.from(good);
    v9[6] = 9;
    expectCorrupt(() => decodeNpy(v9), /unsupported format version 9/);
  });
});
