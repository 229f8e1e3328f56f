/**
 * `tf.train.Example` encode/decode with protobufjs. The schema is TensorFlow's
 * `core/example/{example,feature}.proto`, restated here (field numbers are the wire contract), so
 * nothing is downloaded or generated.
 */
import protobuf from 'protobufjs';
import { DatadietError } from '../../core/index.ts';

const EXAMPLE_PROTO = `
syntax = "proto3";
package tensorflow;
message BytesList { repeated bytes value = 1; }
message FloatList { repeated float value = 1 [packed = true]; }
message Int64List { repeated int64 value = 1 [packed = true]; }
message Feature {
  oneof kind {
    BytesList bytes_list = 1;
    FloatList float_list = 2;
    Int64List int64_list = 3;
  }
}
message Features { map<string, Feature> feature = 1; }
message Example { Features features = 1; }
`;

const ExampleType = protobuf
  .parse(EXAMPLE_PROTO, { keepCase: true })
  .root.lookupType('tensorflow.Example');

/** One feature: a list of byte strings, 32-bit floats or 64-bit integers (exact, as bigint). */
export type ExampleFeature =
  | { kind: 'bytes'; values: Uint8Array[] }
  | { kind: 'float'; values: number[] }
  | { kind: 'int64'; values: bigint[] };

/** A decoded Example: feature name → feature. */
export type Example = Record<string, ExampleFeature>;

interface WireFeature {
  bytes_list?: { value?: Uint8Array[] };
  float_list?: { value?: number[] };
  int64_list?: { value?: string[] };
}

export function encodeExample(example: Example): Uint8Array {
  const feature: Record<string, WireFeature> = {};
  for (const [name, f] of Object.entries(example)) {
    if (f.kind === 'bytes') feature[name] = { bytes_list: { value: f.values } };
    else if (f.kind === 'float') feature[name] = { float_list: { value: f.values } };
    // Decimal strings keep all 64 bits (protobufjs parses them with Long).
    else feature[name] = { int64_list: { value: f.values.map((v) => v.toString()) } };
  }
  return ExampleType.encode(ExampleType.fromObject({ features: { feature } })).finish();
}

/** Decodes a serialized Example; malformed bytes raise CLICKME_BAD_RECORD with `where` in it. */
export function decodeExample(bytes: Uint8Array, where = 'record'): Example {
  let wire: { features?: { feature?: Record<string, WireFeature> } };
  try {
    wire = ExampleType.toObject(ExampleType.decode(bytes), {
      longs: String,
      arrays: true,
    }) as typeof wire;
  } catch (e) {
    throw new DatadietError(
      'CLICKME_BAD_RECORD',
      `${where}: not a tf.train.Example (${(e as Error).message})`,
      {
        hint: 'the file is not a TFRecord of tf.train.Example records, or it is damaged',
        cause: e,
      },
    );
  }
  const out: Example = {};
  for (const [name, f] of Object.entries(wire.features?.feature ?? {})) {
    if (f.bytes_list) out[name] = { kind: 'bytes', values: f.bytes_list.value ?? [] };
    else if (f.float_list) out[name] = { kind: 'float', values: f.float_list.value ?? [] };
    else if (f.int64_list) {
      out[name] = { kind: 'int64', values: (f.int64_list.value ?? []).map((v) => BigInt(v)) };
    }
    // A Feature with no kind set carries nothing; TF treats it as absent too.
  }
  return out;
}
