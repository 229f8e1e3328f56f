/**
 * PyTorch-exported torchvision classifiers (seeded random weights, 64-px inputs to keep the test
 * fast) run as tfjs ops: logits against onnxruntime-node and PyTorch, input gradients against
 * PyTorch's autograd.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { findPython } from '../core/index.ts';
import { OnnxGraph } from './graph.ts';
import { exportTorchvision, relErr } from './test-helpers.ts';

const peer = findPython(['torch', 'torchvision']);
if (!peer.python) console.warn(`onnx import vs PyTorch skipped: ${peer.reason}`);
const dir = mkdtempSync(join(tmpdir(), 'datadiet-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!peer.python)('torchvision models exported by torch.onnx.export', () => {
  const N = 2;
  const S = 64;
  const classes = [3, 998];

  it.each([
    ['resnet18', 13],
    ['mobilenet_v2', 17],
  ])(
    '%s (opset %i): logits = onnxruntime = PyTorch; input gradients = PyTorch',
    async (arch, opset) => {
      const ref = exportTorchvision({
        python: peer.python!,
        arch,
        opset,
        dir: join(dir, arch),
        n: N,
        size: S,
        classes,
      });
      const bytes = readFileSync(ref.onnx);
      const graph = OnnxGraph.fromBytes(bytes, `${arch}.onnx`);
      expect(graph.opset).toBe(opset);
      expect(graph.inputs[0]).toEqual({ name: 'input', shape: [null, 3, S, S] });

      const input = tf.tensor4d(ref.x, [N, 3, S, S]);
      const logits = tf.tidy(() => graph.run({ input })[0]!);
      expect(logits.shape).toEqual([N, 1000]);
      const ours = logits.dataSync();

      const session = await ort.InferenceSession.create(bytes);
      const ortOut = await session.run({ input: new ort.Tensor('float32', ref.x, [N, 3, S, S]) });
      const ortLogits = ortOut.logits!.data as Float32Array;
      // float32 sums in another order: measured ~1e-6 of the logit scale; bound 1e-5.
      const eOrt = relErr(ours, ortLogits);
      const eTorch = relErr(ours, ref.logits);
      expect(eOrt).toBeLessThan(1e-5);
      expect(eTorch).toBeLessThan(1e-5);

      const mask = tf.oneHot(tf.tensor1d(classes, 'int32'), 1000);
      const grad = tf.grad((inp: tf.Tensor) => tf.sum(tf.mul(graph.run({ input: inp })[0]!, mask)))(
        input,
      );
      const eGrad = relErr(grad.dataSync(), ref.grad);
      expect(eGrad).toBeLessThan(1e-5);
      console.info(
        `${arch}: logits vs ORT ${eOrt.toExponential(1)}, vs PyTorch ${eTorch.toExponential(1)}; input gradient vs PyTorch ${eGrad.toExponential(1)} (max |Δ| / max |ref|)`,
      );
      tf.dispose([input, logits, mask, grad]);
      graph.dispose();
      await session.release();
    },
    300_000,
  );
});
