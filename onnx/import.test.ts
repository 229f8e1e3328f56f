/**
 * PyTorch-exported torchvision classifiers (seeded random weights, 64-px inputs to keep the test
 * fast) run as tfjs ops: logits against onnxruntime-node and PyTorch, input gradients against
 * PyTorch's autograd.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { findPython } from '../core/python.ts';
import { Rng } from '../core/rng.ts';
import { decodeNpy, encodeNpy, ndarray, typedView } from '../output/npy.ts';
import { OnnxGraph } from './graph.ts';

const peer = findPython(['torch', 'torchvision']);
if (!peer.python) console.warn(`onnx import vs PyTorch skipped: ${peer.reason}`);
const script = fileURLToPath(new URL('./testdata/torch_reference.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'datadiet-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readNpy = (p: string) => typedView(decodeNpy(readFileSync(p))) as Float32Array;

/** max |a − b| / max |b|: one figure that scales with the outputs. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

describe.skipIf(!peer.python)('torchvision models exported by torch.onnx.export', () => {
  const N = 2;
  const S = 64;
  const rng = new Rng(15);
  const x = Float32Array.from({ length: N * 3 * S * S }, () => rng.normal());
  const cls = Int32Array.from([3, 998]);

  it.each([
    ['resnet18', 13],
    ['mobilenet_v2', 17],
  ])(
    '%s (opset %i): logits = onnxruntime = PyTorch; input gradients = PyTorch',
    async (arch, opset) => {
      const out = join(dir, `${arch}`);
      rmSync(out, { recursive: true, force: true });
      spawnSync('mkdir', ['-p', out]);
      writeFileSync(join(out, 'x.npy'), encodeNpy(ndarray('float32', [N, 3, S, S], x)));
      writeFileSync(join(out, 'c.npy'), encodeNpy(ndarray('int32', [N], cls)));
      const r = spawnSync(
        peer.python!,
        [
          script,
          '--arch',
          arch,
          '--opset',
          String(opset),
          '--input',
          join(out, 'x.npy'),
          '--classes',
          join(out, 'c.npy'),
          '--out',
          out,
        ],
        { encoding: 'utf8', timeout: 240_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      const bytes = readFileSync(join(out, 'model.onnx'));
      const graph = OnnxGraph.fromBytes(bytes, `${arch}.onnx`);
      expect(graph.opset).toBe(opset);
      expect(graph.inputs[0]).toEqual({ name: 'input', shape: [null, 3, S, S] });

      const input = tf.tensor4d(x, [N, 3, S, S]);
      const logits = tf.tidy(() => graph.run({ input })[0]!);
      expect(logits.shape).toEqual([N, 1000]);
      const ours = logits.dataSync();

      const session = await ort.InferenceSession.create(bytes);
      const ortOut = await session.run({ input: new ort.Tensor('float32', x, [N, 3, S, S]) });
      const ref = ortOut.logits!.data as Float32Array;
      const torchLogits = readNpy(join(out, 'logits.npy'));
      // float32 sums in a different order: agreement to ~1e-5 of the logit scale.
      expect(relErr(ours, ref)).toBeLessThan(1e-4);
      expect(relErr(ours, torchLogits)).toBeLessThan(1e-4);

      const mask = tf.oneHot(tf.tensor1d(cls, 'int32'), 1000);
      const grad = tf.grad((inp: tf.Tensor) => tf.sum(tf.mul(graph.run({ input: inp })[0]!, mask)))(
        input,
      );
      const torchGrad = readNpy(join(out, 'grad.npy'));
      expect(relErr(grad.dataSync(), torchGrad)).toBeLessThan(1e-3);
      tf.dispose([input, logits, mask, grad]);
      graph.dispose();
      await session.release();
    },
    300_000,
  );
});
