import { describe, expect, it } from 'vitest';
import { DatadietError } from '../../core/index.ts';
import { decodeExample, encodeExample, type Example } from './example.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('tf.train.Example codec', () => {
  it('writes the tensorflow wire format (hand-encoded bytes)', () => {
    // Example{features{feature{"label": Feature{int64_list{value: [5]}}}}}, packed int64:
    // 0a 10 (features) 0a 0e (map entry) 0a 05 "label" 12 05 (Feature) 1a 03 (int64_list) 0a 01 05
    const bytes = encodeExample({ label: { kind: 'int64', values: [5n] } });
    expect(hex(bytes)).toBe('0a100a0e0a056c6162656c12051a030a0105');
  });

  it('reads unpacked int64 lists too (older writers)', () => {
    // the same Example with the value as a plain varint field (08 05), so every length shrinks by 1
    const unpacked = Buffer.from('0a0f0a0d0a056c6162656c12041a020805', 'hex');
    expect(decodeExample(unpacked)).toEqual({ label: { kind: 'int64', values: [5n] } });
  });

  it('round-trips bytes, float and full-range int64 features', () => {
    const ex: Example = {
      image: { kind: 'bytes', values: [Uint8Array.from([255, 216, 255, 0, 1])] },
      heatmap: { kind: 'bytes', values: [new Uint8Array(0), Uint8Array.from([7])] },
      label: { kind: 'int64', values: [999n, -1n, 9007199254740993n, -(2n ** 63n)] },
      score: { kind: 'float', values: [0.5, -1.25, 3e38] },
    };
    const back = decodeExample(encodeExample(ex));
    expect(Object.keys(back).sort()).toEqual(['heatmap', 'image', 'label', 'score']);
    expect(back.label).toEqual(ex.label);
    expect(back.score).toEqual({ kind: 'float', values: [0.5, -1.25, Math.fround(3e38)] });
    const img = back.image as { values: Uint8Array[] };
    expect(img.values.map((v) => Array.from(v))).toEqual([[255, 216, 255, 0, 1]]);
    const hm = back.heatmap as { values: Uint8Array[] };
    expect(hm.values.map((v) => Array.from(v))).toEqual([[], [7]]);
  });

  it('raises CLICKME_BAD_RECORD for bytes that are not an Example', () => {
    try {
      decodeExample(Uint8Array.from([0x0a, 0x40, 0x01]), 'f.tfrecords: record 3');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DatadietError);
      expect((e as DatadietError).code).toBe('CLICKME_BAD_RECORD');
      expect((e as DatadietError).message).toContain('f.tfrecords: record 3');
    }
  });
});
