/**
 * An ONNX graph run as TensorFlow.js ops: every node becomes tfjs calls, so tf.grad reaches the
 * input through the whole graph on any backend (saliency), with no TensorFlow conversion step.
 */
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../core/index.ts';
import { Attrs, nodeLabel, ONNX_OPS, type OpDef } from './ops/index.ts';
import { decodeModel, defaultOpset, metadata, type ModelProto, type NodeProto } from './proto.ts';
import { fromTensorProto } from './tensors.ts';

const REGISTRY = new Map<string, OpDef>(ONNX_OPS.map((o) => [o.name, o]));

export interface GraphInput {
  name: string;
  /** Static dims; null where symbolic (batch). */
  shape: (number | null)[];
}

export class OnnxGraph {
  readonly opset: number;
  readonly inputs: GraphInput[];
  readonly outputs: string[];
  readonly metadata: Record<string, string>;
  private readonly nodes: NodeProto[];
  private readonly weights = new Map<string, tf.Tensor>();
  /** value name → index of the node that produces it. */
  private readonly producer = new Map<string, number>();

  constructor(
    readonly model: ModelProto,
    readonly source: string,
  ) {
    const g = model.graph!;
    this.opset = defaultOpset(model);
    this.metadata = metadata(model);
    this.nodes = g.node ?? [];
    for (const node of this.nodes) {
      const domain = node.domain ?? '';
      if ((domain !== '' && domain !== 'ai.onnx') || !REGISTRY.has(node.op_type)) {
        throw new DatadietError(
          'ONNX_UNSUPPORTED',
          `${source}: operator ${domain && domain !== 'ai.onnx' ? `${domain}.` : ''}${node.op_type} (${nodeLabel(node)}, opset ${this.opset}) is not supported`,
          {
            hint: `supported: ${[...REGISTRY.keys()].sort().join(', ')}; export the model without custom ops, or open an issue naming this op`,
          },
        );
      }
    }
    this.nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && this.producer.set(o, i)));
    for (const t of g.initializer ?? []) {
      this.weights.set(t.name ?? '', fromTensorProto(t, `${source}: initializer`));
    }
    this.inputs = (g.input ?? [])
      .filter((v) => !this.weights.has(v.name))
      .map((v) => ({
        name: v.name,
        shape: (v.type?.tensor_type?.shape?.dim ?? []).map((d) =>
          d.dim_value && d.dim_value > 0 ? d.dim_value : null,
        ),
      }));
    this.outputs = (g.output ?? []).map((v) => v.name);
  }

  static fromBytes(bytes: Uint8Array, source: string): OnnxGraph {
    return new OnnxGraph(decodeModel(bytes, source), source);
  }

  /** Value names that nodes produce, in graph order (for --features listings). */
  valueNames(): string[] {
    return this.nodes.flatMap((n) => n.output ?? []).filter(Boolean);
  }

  /** A value name or a node name → the value name; null if neither exists. */
  resolveValue(name: string): string | null {
    if (this.producer.has(name) || this.weights.has(name)) return name;
    const node = this.nodes.find((n) => n.name === name);
    return node?.output?.[0] ?? null;
  }

  /**
   * The input of the final classifier layer: the data input of the last Gemm/MatMul (with a
   * weight initializer) on the way to the first graph output; null when there is none.
   */
  classifierInput(): string | null {
    const out = this.outputs[0];
    let i = out === undefined ? undefined : this.producer.get(out);
    while (i !== undefined) {
      const n = this.nodes[i]!;
      const ins = n.input ?? [];
      if (
        (n.op_type === 'Gemm' || n.op_type === 'MatMul') &&
        ins.some((v) => this.weights.has(v))
      ) {
        return ins.find((v) => !this.weights.has(v)) ?? null;
      }
      const data = ins.find((v) => this.producer.has(v));
      i = data === undefined ? undefined : this.producer.get(data);
    }
    return null;
  }

  /** The producing node's op type, for descriptions. */
  producerOf(value: string): string | undefined {
    const i = this.producer.get(value);
    return i === undefined ? undefined : this.nodes[i]!.op_type;
  }

  /**
   * Runs the nodes needed for `outputs` (default: the graph outputs) on `feeds`. Intermediates
   * are left to the caller's tf.tidy (gradient tapes need them alive).
   */
  run(feeds: Record<string, tf.Tensor>, outputs: string[] = this.outputs): tf.Tensor[] {
    const values = new Map<string, tf.Tensor>(this.weights);
    for (const [k, v] of Object.entries(feeds)) values.set(k, v);
    for (const o of outputs) {
      if (!values.has(o) && !this.producer.has(o)) {
        throw new DatadietError('ONNX_INVALID', `${this.source}: no value named "${o}"`, {
          hint: `name a node or value of the graph, e.g. ${this.valueNames().slice(-5).join(', ')}`,
        });
      }
    }
    const needed = this.neededNodes(outputs, values);
    for (const i of needed) {
      const node = this.nodes[i]!;
      const inputs = (node.input ?? []).map((name) => {
        if (!name) return undefined;
        const t = values.get(name);
        if (!t) {
          throw new DatadietError(
            'ONNX_INVALID',
            `${this.source}: ${nodeLabel(node)} reads "${name}", which no earlier node, initializer or input provides`,
            { hint: 'feed every graph input (onnx.checker.check_model finds such graphs)' },
          );
        }
        return t;
      });
      const op = REGISTRY.get(node.op_type)!;
      const outs = op.run({ node, opset: this.opset, inputs, attr: new Attrs(node) });
      (node.output ?? []).forEach((name, k) => {
        if (name && outs[k]) values.set(name, outs[k]);
      });
    }
    return outputs.map((o) => values.get(o)!);
  }

  /** Indices of the nodes that `outputs` depend on, in graph (topological) order. */
  private neededNodes(outputs: string[], known: Map<string, tf.Tensor>): number[] {
    const need = new Set<number>();
    const stack = outputs.slice();
    while (stack.length) {
      const v = stack.pop()!;
      if (known.has(v)) continue;
      const i = this.producer.get(v);
      if (i === undefined || need.has(i)) continue;
      need.add(i);
      for (const inp of this.nodes[i]!.input ?? []) if (inp) stack.push(inp);
    }
    return [...need].sort((a, b) => a - b);
  }

  dispose(): void {
    for (const t of this.weights.values()) t.dispose();
    this.weights.clear();
  }
}
