/**
 * A small ONNX graph builder for `datadiet export`: nodes, initializers and typed attributes as
 * the plain ModelProto objects that proto.ts encodes with protobufjs and the official schema
 * (the same one the importer reads). Weights are converted from tfjs layouts here, once.
 */
import type * as tf from '@tensorflow/tfjs';
import {
  AttrType,
  DataType,
  type AttributeProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.ts';
import { toTensorProto } from './tensors.ts';

/** The opset every export declares: what torch.onnx.export writes by default, and ORT runs. */
export const EXPORT_OPSET = 13;

type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

function attribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: AttrType.INT, i: v };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  return { name, type: AttrType.FLOATS, floats: v.floats };
}

export interface IoSpec {
  name: string;
  /** Dims; a string is a symbolic dim (e.g. 'batch'). */
  shape: (number | string)[];
  doc: string;
}

function valueInfo(io: IoSpec): ValueInfoProto {
  return {
    name: io.name,
    doc_string: io.doc,
    type: {
      tensor_type: {
        elem_type: DataType.FLOAT,
        shape: {
          dim: io.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })),
        },
      },
    },
  };
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly inits: TensorProto[] = [];
  private readonly used = new Set<string>();

  /** Adds one node; returns its (first) output name. Node and output share the name. */
  node(op: string, inputs: string[], name: string, attrs: Record<string, AttrValue> = {}): string {
    return this.nodeN(op, inputs, [name], attrs, name)[0]!;
  }

  /** A node with several outputs (Split). */
  nodeN(
    op: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, AttrValue> = {},
    name = outputs[0]!,
  ): string[] {
    for (const o of outputs) {
      if (this.used.has(o)) throw new Error(`internal: ONNX value "${o}" defined twice`);
      this.used.add(o);
    }
    this.nodes.push({
      name,
      op_type: op,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  /** A weight or constant as an initializer (float32 or, for int32 tensors, int64). */
  init(name: string, t: tf.Tensor): string {
    if (this.used.has(name)) throw new Error(`internal: ONNX value "${name}" defined twice`);
    this.used.add(name);
    this.inits.push(toTensorProto(name, t));
    return name;
  }

  /** An int64 constant (shapes, axes, split sizes). */
  ints(name: string, values: number[]): string {
    if (this.used.has(name)) throw new Error(`internal: ONNX value "${name}" defined twice`);
    this.used.add(name);
    const buf = new DataView(new ArrayBuffer(values.length * 8));
    values.forEach((x, i) => buf.setBigInt64(i * 8, BigInt(x), true));
    this.inits.push({
      name,
      dims: [values.length],
      data_type: DataType.INT64,
      raw_data: new Uint8Array(buf.buffer),
    });
    return name;
  }

  /** A float constant of any shape. */
  floats(name: string, values: number[], dims: number[] = [values.length]): string {
    if (this.used.has(name)) throw new Error(`internal: ONNX value "${name}" defined twice`);
    this.used.add(name);
    const f = Float32Array.from(values);
    this.inits.push({
      name,
      dims,
      data_type: DataType.FLOAT,
      raw_data: new Uint8Array(f.buffer),
    });
    return name;
  }

  model(o: {
    name: string;
    inputs: IoSpec[];
    outputs: IoSpec[];
    doc: string;
    metadata: Record<string, string>;
    producerVersion: string;
  }): ModelProto {
    return {
      // IR 7 goes with opset 13 (onnx/helper.py's VERSION_TABLE).
      ir_version: 7,
      opset_import: [{ domain: '', version: EXPORT_OPSET }],
      producer_name: 'datadiet',
      producer_version: o.producerVersion,
      doc_string: o.doc,
      graph: {
        name: o.name,
        node: this.nodes,
        initializer: this.inits,
        input: o.inputs.map(valueInfo),
        output: o.outputs.map(valueInfo),
      },
      metadata_props: Object.entries(o.metadata).map(([key, value]) => ({ key, value })),
    };
  }
}

/** 'same' padding as TensorFlow computes it: the odd pixel goes after (ONNX SAME_UPPER). */
export function samePads(size: [number, number], k: number, s: number): number[] {
  const pads = [0, 0, 0, 0];
  for (let i = 0; i < 2; i++) {
    const n = size[i]!;
    const total = Math.max(0, (Math.ceil(n / s) - 1) * s + k - n);
    pads[i] = Math.floor(total / 2);
    pads[i + 2] = total - Math.floor(total / 2);
  }
  return pads;
}
