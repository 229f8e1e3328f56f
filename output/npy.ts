/**
 * NumPy `.npy` encode/decode (format spec: numpy.lib.format). We write what numpy ≥ 1.23 writes,
 * byte for byte, so a file from here and one from `np.save` are interchangeable; we read v1/v2/v3
 * headers but only little-endian, C-order arrays of the dtypes below.
 */
import { DatadietError } from '../core/index.ts';

export type DType =
  'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float16' | 'float32' | 'float64';

/** A dense C-order array; `data` holds the raw little-endian bytes. */
export interface NdArray {
  dtype: DType;
  shape: number[];
  data: Buffer;
}

export type TypedArrayFor<D extends DType> = D extends 'uint8'
  ? Uint8Array
  : D extends 'int8'
    ? Int8Array
    : D extends 'uint16' | 'float16'
      ? Uint16Array
      : D extends 'int16'
        ? Int16Array
        : D extends 'uint32'
          ? Uint32Array
          : D extends 'int32'
            ? Int32Array
            : D extends 'float32'
              ? Float32Array
              : Float64Array;

export type AnyTypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

interface DTypeInfo {
  descr: string;
  itemsize: number;
  make: (buffer: ArrayBuffer, byteOffset: number, length: number) => AnyTypedArray;
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  uint8: { descr: '|u1', itemsize: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  int8: { descr: '|i1', itemsize: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  uint16: { descr: '<u2', itemsize: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  int16: { descr: '<i2', itemsize: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  uint32: { descr: '<u4', itemsize: 4, make: (b, o, n) => new Uint32Array(b, o, n) },
  int32: { descr: '<i4', itemsize: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  // No Float16Array in Node 20: half floats are exposed as their raw bits.
  float16: { descr: '<f2', itemsize: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  float32: { descr: '<f4', itemsize: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  float64: { descr: '<f8', itemsize: 8, make: (b, o, n) => new Float64Array(b, o, n) },
};

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const ARRAY_ALIGN = 64;
// numpy pads the header so the growth axis can be rewritten in place; we match it byte for byte.
const GROWTH_AXIS_MAX_DIGITS = 21;

// TypedArrays share the host's byte order; `data` is little-endian by contract.
const HOST_IS_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function itemsize(dtype: DType): number {
  return DTYPES[dtype].itemsize;
}

function checkShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`npy: bad shape [${shape}]`);
    n *= d;
  }
  return n;
}

/** Number of elements of a shape (1 for a 0-d array). */
export function shapeSize(shape: readonly number[]): number {
  return checkShape(shape);
}

function pyShape(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** The header (magic, version, length, padded dict) numpy writes for this dtype and shape. */
export function npyHeader(dtype: DType, shape: readonly number[]): Buffer {
  checkShape(shape);
  let dict = `{'descr': '${DTYPES[dtype].descr}', 'fortran_order': False, 'shape': ${pyShape(shape)}, }`;
  if (shape.length > 0) dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
  const dictBytes = Buffer.from(dict, 'latin1');
  // Like numpy: v1.0 (u16 length) unless the padded header does not fit, then v2.0 (u32 length).
  const hlen = dictBytes.length + 1;
  // numpy's formula: the padding is never zero, always at least one space.
  const padFor = (prefixLen: number) => ARRAY_ALIGN - ((prefixLen + hlen) % ARRAY_ALIGN);
  const v1 = hlen + padFor(10) <= 0xffff;
  const prefixLen = v1 ? 10 : 12;
  const padlen = padFor(prefixLen);
  const out = Buffer.alloc(prefixLen + hlen + padlen, 0x20);
  MAGIC.copy(out, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  if (v1) out.writeUInt16LE(hlen + padlen, 8);
  else out.writeUInt32LE(hlen + padlen, 8);
  dictBytes.copy(out, prefixLen);
  out[out.length - 1] = 0x0a;
  return out;
}

/**
 * [header, ...chunks] for an array whose bytes arrive in pieces, so a writer can stream a big
 * array (e.g. one chunk per frame) without concatenating it first.
 */
export function encodeNpyParts(dtype: DType, shape: readonly number[], chunks: Buffer[]): Buffer[] {
  const expected = checkShape(shape) * DTYPES[dtype].itemsize;
  let got = 0;
  for (const c of chunks) got += c.length;
  if (got !== expected) {
    throw new RangeError(
      `npy: ${dtype} [${shape}] needs ${expected} bytes, got ${got} in ${chunks.length} chunk(s)`,
    );
  }
  return [npyHeader(dtype, shape), ...chunks];
}

export function encodeNpy(arr: NdArray): Buffer {
  return Buffer.concat(encodeNpyParts(arr.dtype, arr.shape, [arr.data]));
}

/** Wraps a TypedArray's bytes (no copy) as an NdArray; the shape must match its length. */
export function ndarray(dtype: DType, shape: number[], values: AnyTypedArray | Buffer): NdArray {
  if (!HOST_IS_LE) throw new Error('npy: big-endian hosts are not supported');
  const data = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const expected = checkShape(shape) * DTYPES[dtype].itemsize;
  if (data.length !== expected) {
    throw new RangeError(`npy: ${dtype} [${shape}] needs ${expected} bytes, got ${data.length}`);
  }
  return { dtype, shape: [...shape], data };
}

/** The values as the matching TypedArray; copies only when `data` is not aligned for it. */
export function typedView<D extends DType>(arr: NdArray & { dtype: D }): TypedArrayFor<D>;
export function typedView(arr: NdArray): AnyTypedArray;
export function typedView(arr: NdArray): AnyTypedArray {
  if (!HOST_IS_LE) throw new Error('npy: big-endian hosts are not supported');
  const info = DTYPES[arr.dtype];
  const n = arr.data.length / info.itemsize;
  if (!Number.isInteger(n)) {
    throw new RangeError(`npy: ${arr.data.length} bytes is not a whole number of ${arr.dtype}`);
  }
  let src = arr.data;
  if (src.byteOffset % info.itemsize !== 0) {
    // Buffer.alloc never returns a pooled slice, so the copy starts at offset 0.
    src = Buffer.alloc(arr.data.length);
    arr.data.copy(src);
  }
  return info.make(src.buffer as ArrayBuffer, src.byteOffset, n);
}

// ---- decoding -------------------------------------------------------------------------------

function corrupt(message: string): DatadietError {
  return new DatadietError('DATASET_CORRUPT', `npy: ${message}`, {
    hint: 'the array was not written by datadiet or numpy, or the file is damaged; regenerate it',
  });
}

type PyValue = string | boolean | number[];

/** Parses the tiny Python-literal dict numpy writes (strings, True/False, tuples of ints). */
function parseHeaderDict(text: string): Map<string, PyValue> {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const expect = (ch: string) => {
    ws();
    if (text[i] !== ch)
      throw corrupt(`header: expected '${ch}' at ${i} in ${JSON.stringify(text)}`);
    i++;
  };
  const str = (): string => {
    ws();
    const q = text[i];
    if (q !== "'" && q !== '"') throw corrupt(`header: expected a string at ${i}`);
    const end = text.indexOf(q, i + 1);
    if (end < 0) throw corrupt('header: unterminated string');
    const s = text.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const int = (): number => {
    ws();
    const m = /^\d+L?/.exec(text.slice(i)); // Python 2 wrote longs as `3L`.
    if (!m) throw corrupt(`header: expected an integer at ${i}`);
    i += m[0].length;
    return Number.parseInt(m[0], 10);
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === "'" || c === '"') return str();
    if (text.startsWith('True', i)) return ((i += 4), true);
    if (text.startsWith('False', i)) return ((i += 5), false);
    if (c === '(') {
      i++;
      const dims: number[] = [];
      for (;;) {
        ws();
        if (text[i] === ')') break;
        dims.push(int());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== ')') throw corrupt(`header: bad tuple at ${i}`);
      }
      i++;
      return dims;
    }
    throw corrupt(`header: unsupported value at ${i} in ${JSON.stringify(text)}`);
  };

  const out = new Map<string, PyValue>();
  expect('{');
  for (;;) {
    ws();
    if (text[i] === '}') break;
    const k = str();
    expect(':');
    out.set(k, value());
    ws();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw corrupt(`header: expected ',' or '}' at ${i}`);
  }
  i++;
  ws();
  if (i !== text.length) throw corrupt('header: trailing characters after the dict');
  return out;
}

function dtypeFromDescr(descr: string): DType {
  const m = /^([<>|=]?)([uif])(\d)$/.exec(descr);
  if (m) {
    const [, order, kind, size] = m as unknown as [string, string, string, string];
    if (order === '>' && size !== '1') {
      throw corrupt(`big-endian dtype '${descr}' is not supported; save little-endian arrays`);
    }
    const name =
      kind === 'f'
        ? `float${Number(size) * 8}`
        : `${kind === 'u' ? 'u' : ''}int${Number(size) * 8}`;
    if (name in DTYPES) return name as DType;
  }
  throw corrupt(`unsupported dtype '${descr}' (supported: ${Object.keys(DTYPES).join(', ')})`);
}

/** Decodes a whole `.npy` file; `data` is a view into `buf` (no copy). */
export function decodeNpy(buf: Buffer): NdArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw corrupt('not an .npy file');
  const major = buf[6]!;
  let hlen: number;
  let start: number;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw corrupt('truncated header');
    hlen = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw corrupt(`unsupported format version ${major}.${buf[7]}`);
  }
  if (start + hlen > buf.length) throw corrupt('truncated header');
  const text = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + hlen);
  const dict = parseHeaderDict(text.trimEnd());

  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof descr !== 'string') throw corrupt("header lacks a simple 'descr'");
  if (typeof fortran !== 'boolean') throw corrupt("header lacks 'fortran_order'");
  if (!Array.isArray(shape)) throw corrupt("header lacks 'shape'");
  if (fortran && shape.length > 1) {
    throw corrupt('Fortran-order arrays are not supported; save with np.ascontiguousarray');
  }
  const dtype = dtypeFromDescr(descr);

  const data = buf.subarray(start + hlen);
  const expected = checkShape(shape) * DTYPES[dtype].itemsize;
  if (data.length !== expected) {
    throw corrupt(`${dtype} [${shape}] needs ${expected} data bytes, file has ${data.length}`);
  }
  return { dtype, shape, data };
}
