/**
 * ONNX ModelProto read and written with protobufjs from the official schema (onnx/onnx.proto,
 * ONNX 1.12, committed with its licence header): no hand-written wire parser.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { DatadietError } from '../core/index.ts';

/** TensorProto.DataType values used here (onnx.proto). */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;

/** AttributeProto.AttributeType values. */
export const AttrType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

export interface TensorProto {
  dims?: number[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  raw_data?: Uint8Array;
  name?: string;
  data_location?: number;
}

export interface AttributeProto {
  name: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  op_type: string;
  domain?: string;
  attribute?: AttributeProto[];
}

export interface Dim {
  dim_value?: number;
  dim_param?: string;
}

export interface ValueInfoProto {
  name: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: Dim[] } } };
  doc_string?: string;
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  value_info?: ValueInfoProto[];
}

export interface ModelProto {
  ir_version?: number;
  opset_import?: { domain?: string; version?: number }[];
  producer_name?: string;
  producer_version?: string;
  doc_string?: string;
  graph?: GraphProto;
  metadata_props?: { key?: string; value?: string }[];
}

let modelType: protobuf.Type | undefined;
function ModelType(): protobuf.Type {
  if (!modelType) {
    const text = readFileSync(fileURLToPath(new URL('./onnx.proto', import.meta.url)), 'utf8');
    modelType = protobuf.parse(text, { keepCase: true }).root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** Decodes an ONNX file's bytes; `source` names it in errors. */
export function decodeModel(bytes: Uint8Array, source: string): ModelProto {
  let model: ModelProto;
  try {
    const T = ModelType();
    model = T.toObject(T.decode(bytes), {
      longs: Number,
      defaults: false,
      arrays: true,
    }) as ModelProto;
  } catch (e) {
    throw new DatadietError(
      'ONNX_INVALID',
      `${source} is not an ONNX model (${(e as Error).message})`,
      {
        hint: 'pass a .onnx file written by torch.onnx.export, onnx.save or `datadiet export`',
        cause: e,
      },
    );
  }
  if (!model.graph || !model.graph.node?.length) {
    throw new DatadietError('ONNX_INVALID', `${source} holds no graph nodes`, {
      hint: 'pass a .onnx file written by torch.onnx.export, onnx.save or `datadiet export`',
    });
  }
  return model;
}

/** Encodes a ModelProto (plain object) to bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  const T = ModelType();
  const err = T.verify(model);
  if (err) throw new Error(`internal: invalid ModelProto: ${err}`);
  return T.encode(T.fromObject(model)).finish();
}

/** The default-domain opset a model imports. */
export function defaultOpset(model: ModelProto): number {
  const o = model.opset_import?.find((x) => !x.domain || x.domain === 'ai.onnx');
  return o?.version ?? 1;
}

export function metadata(model: ModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of model.metadata_props ?? []) if (p.key) out[p.key] = p.value ?? '';
  return out;
}
