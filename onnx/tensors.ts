/**
 * ONNX TensorProto ⇄ tfjs tensors. tfjs has no int64, so int64 data (shapes, indices, axes)
 * becomes int32; values outside int32 (e.g. INT64_MAX as a Slice end) are clamped, which keeps
 * their meaning ("to the end").
 */
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../core/index.ts';
import { DataType, type TensorProto } from './proto.ts';

const I32_MAX = 2 ** 31 - 1;
const clampI32 = (v: number) => Math.max(-I32_MAX - 1, Math.min(I32_MAX, v));

function view(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decodes one TensorProto; `where` names it in errors. */
export function fromTensorProto(t: TensorProto, where: string): tf.Tensor {
  const shape = (t.dims ?? []).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const type = t.data_type ?? 0;
  if (t.data_location === 1) {
    throw new DatadietError(
      'ONNX_UNSUPPORTED',
      `${where}: tensor ${t.name} keeps its data in an external file`,
      {
        hint: 'save the model as one file: onnx.save(model, path, save_as_external_data=False) (models under 2 GB)',
      },
    );
  }
  const raw = t.raw_data && t.raw_data.byteLength > 0 ? t.raw_data : undefined;
  switch (type) {
    case DataType.FLOAT: {
      let v: Float32Array;
      if (raw) {
        v = new Float32Array(n);
        const dv = view(raw);
        for (let i = 0; i < n; i++) v[i] = dv.getFloat32(i * 4, true);
      } else v = Float32Array.from(t.float_data ?? []);
      return tf.tensor(v, shape, 'float32');
    }
    case DataType.DOUBLE: {
      const v = new Float32Array(n);
      if (raw) {
        const dv = view(raw);
        for (let i = 0; i < n; i++) v[i] = dv.getFloat64(i * 8, true);
      } else v.set(t.double_data ?? []);
      return tf.tensor(v, shape, 'float32');
    }
    case DataType.FLOAT16: {
      const v = new Float32Array(n);
      if (raw) {
        const dv = view(raw);
        for (let i = 0; i < n; i++) v[i] = halfToFloat(dv.getUint16(i * 2, true));
      } else (t.int32_data ?? []).forEach((h, i) => (v[i] = halfToFloat(h)));
      return tf.tensor(v, shape, 'float32');
    }
    case DataType.INT64: {
      const v = new Int32Array(n);
      if (raw) {
        const dv = view(raw);
        for (let i = 0; i < n; i++) v[i] = clampI32(Number(dv.getBigInt64(i * 8, true)));
      } else (t.int64_data ?? []).forEach((x, i) => (v[i] = clampI32(Number(x))));
      return tf.tensor(v, shape, 'int32');
    }
    case DataType.INT32:
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.BOOL: {
      const v = new Int32Array(n);
      if (raw) {
        const dv = view(raw);
        for (let i = 0; i < n; i++) {
          v[i] =
            type === DataType.INT32
              ? dv.getInt32(i * 4, true)
              : type === DataType.INT8
                ? dv.getInt8(i)
                : dv.getUint8(i);
        }
      } else v.set(t.int32_data ?? []);
      return tf.tensor(v, shape, type === DataType.BOOL ? 'bool' : 'int32');
    }
    default:
      throw new DatadietError(
        'ONNX_UNSUPPORTED',
        `${where}: tensor ${t.name ?? ''} has ONNX data type ${type}, which datadiet does not read`,
        { hint: 'export the model in float32 (model.float() before torch.onnx.export)' },
      );
  }
}

/** A float32 tensor as a TensorProto with raw little-endian data (for export). */
export function toTensorProto(name: string, t: tf.Tensor): TensorProto {
  const data = t.dataSync();
  if (t.dtype === 'int32') {
    const buf = new DataView(new ArrayBuffer(data.length * 8));
    data.forEach((x, i) => buf.setBigInt64(i * 8, BigInt(x), true));
    return {
      name,
      dims: t.shape,
      data_type: DataType.INT64,
      raw_data: new Uint8Array(buf.buffer),
    };
  }
  const f = Float32Array.from(data);
  return {
    name,
    dims: t.shape,
    data_type: DataType.FLOAT,
    raw_data: new Uint8Array(f.buffer, f.byteOffset, f.byteLength),
  };
}

/** Small integer tensors (shapes, axes, indices) as numbers. */
export function ints(t: tf.Tensor | undefined): number[] {
  return t ? Array.from(t.dataSync(), Number) : [];
}
