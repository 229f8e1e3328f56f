import type * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../../core/index.ts';
import { AttrType, type AttributeProto, type NodeProto } from '../proto.ts';
import { fromTensorProto } from '../tensors.ts';

/** What one operator sees: its node, the model's opset, its inputs ('' inputs are undefined). */
export interface OpContext {
  node: NodeProto;
  opset: number;
  inputs: (tf.Tensor | undefined)[];
  attr: Attrs;
}

/** One ONNX operator as tfjs ops (differentiable wherever the ONNX op is). */
export interface OpDef {
  name: string;
  run(ctx: OpContext): tf.Tensor[];
}

export function nodeLabel(node: NodeProto): string {
  return `node "${node.name || node.output?.[0] || '?'}" (${node.op_type})`;
}

export function unsupported(ctx: OpContext, what: string): DatadietError {
  return new DatadietError(
    'ONNX_UNSUPPORTED',
    `${nodeLabel(ctx.node)} at opset ${ctx.opset}: ${what}`,
    {
      hint: 'export with the default torch.onnx.export settings (opset 13–17, float32, eval mode), or open an issue naming this op',
    },
  );
}

/** Typed access to a node's attributes. */
export class Attrs {
  private readonly byName = new Map<string, AttributeProto>();
  constructor(private readonly node: NodeProto) {
    for (const a of node.attribute ?? []) this.byName.set(a.name, a);
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  int(name: string, dflt: number): number {
    const a = this.byName.get(name);
    return a?.i ?? dflt;
  }
  float(name: string, dflt: number): number {
    const a = this.byName.get(name);
    return a?.f ?? dflt;
  }
  ints(name: string, dflt: number[] = []): number[] {
    const a = this.byName.get(name);
    return a ? (a.ints ?? []).map(Number) : dflt;
  }
  floats(name: string): number[] | undefined {
    return this.byName.get(name)?.floats;
  }
  string(name: string, dflt: string): string {
    const a = this.byName.get(name);
    return a?.s ? new TextDecoder().decode(a.s) : dflt;
  }
  tensor(name: string): tf.Tensor | undefined {
    const a = this.byName.get(name);
    if (!a?.t || a.type !== AttrType.TENSOR) return undefined;
    return fromTensorProto(a.t, nodeLabel(this.node));
  }
}

/** The i-th input, or a clear error when a required one is missing. */
export function need(ctx: OpContext, i: number): tf.Tensor {
  const t = ctx.inputs[i];
  if (!t) throw unsupported(ctx, `input ${i} is missing`);
  return t;
}
