/**
 * `datadiet export` for every objective: checkpoints of seeded random weights (every bias and
 * projection non-zero, odd frame sizes so 'same' padding is asymmetric), exported through the
 * CLI, then run by onnxruntime-node on frames the export's own check never saw and compared with
 * the tfjs model; checked by python3-onnx's checker where present; evaluated back through the
 * importer (`evaluate --model x.onnx` reads the same features as the run).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/test-helpers.ts';
import { findPython, Rng } from '../core/index.ts';
import { loadEvalModel } from '../evaluation/index.ts';
import { loadModel, selectBackend, type EgomotionModel } from '../training/index.ts';
import { relErr } from './export-check.ts';
import { fakeRun } from './export-fixture.ts';
import { decodeModel, metadata } from './proto.ts';

let dir = '';
beforeAll(async () => {
  await selectBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'datadiet-export-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const H = 20;
const W = 24;
const encoder = { width: 4, depth: 3, embedding: 6 };
const CASES = [
  // sfa's encoder uses blur-pool (stride-1 convs + depthwise blur); the others the strided convs.
  ['sfa', { encoder: { ...encoder, antialias: true } }],
  ['sfa-linear', { encoder }],
  ['supervised', { encoder }],
  ['egomotion', { encoder, egomotion: { targets: ['head_vel', 'gravity'] } }],
  ['prednet', { prednet: { channels: [3, 6, 8], layerLoss: 'L_all' } }],
] as const;

/** Frames [N, H, W, 3] in [0, 1] from another seed than the export's own check. */
function frames(n: number, seed: string): tf.Tensor4D {
  const r = new Rng(99, seed);
  return tf.tensor4d(
    Float32Array.from({ length: n * H * W * 3 }, () => r.uniform(0, 1)),
    [n, H, W, 3],
  );
}
const nchw = (x: tf.Tensor) =>
  new ort.Tensor('float32', Float32Array.from(tf.transpose(x, [0, 3, 1, 2]).dataSync()), [
    x.shape[0]!,
    3,
    H,
    W,
  ]);

// onnxruntime's float32 sums run in another order than tfjs-wasm's: measured ≤ 2e-7 of the output
// scale for the encoders; PredNet's grows with each recurrent step (4e-7 at t = 0, 9e-6 at t = 3).
const TOL = 1e-5;
const TOL_PREDNET = 1e-4;

const onnxPeer = findPython(['onnx']);
if (!onnxPeer.python) console.warn(`python3-onnx checker skipped: ${onnxPeer.reason}`);

describe('datadiet export', () => {
  it.each(CASES)(
    '%s: onnxruntime-node reproduces the tfjs model; metadata names inputs, outputs, preprocessing',
    async (objective, extra) => {
      const run = join(dir, objective);
      await fakeRun({
        dir: run,
        config: { objective, steps: 5, ...structuredClone(extra) } as never,
        height: H,
        width: W,
      });
      if (objective === 'supervised') {
        // The dataset it trained on, as run.json names it: the export lists the class names.
        const data = join(dir, 'sup-data');
        mkdirSync(data);
        const categories = ['cup', 'fish', 'lamp', 'tree'].map((name, index) => ({ index, name }));
        const manifest = { format_version: '1.2', categories, shards: [] };
        writeFileSync(join(data, 'manifest.json'), JSON.stringify(manifest));
        writeFileSync(join(run, 'run.json'), JSON.stringify({ data, step: 5 }));
      }
      const out = join(dir, `${objective}.onnx`);
      const cli = await runCli(['export', '--model', run, '--out', out, '--backend', 'wasm']);
      expect(cli.err).toEqual([]);
      expect(cli.code).toBe(0);
      expect(cli.out.join('\n')).toMatch(/checked: onnxruntime vs tfjs/);

      const bytes = readFileSync(out);
      const model = decodeModel(bytes, out);
      const meta = metadata(model);
      expect(meta['datadiet.objective']).toBe(objective);
      expect(JSON.parse(meta['datadiet.preprocessing']!)).toEqual({
        input_size: [H, W],
        range: 1,
        mean: [0, 0, 0],
        std: [1, 1, 1],
        channel_order: 'rgb',
      });
      const inputs = JSON.parse(meta['datadiet.inputs']!) as { name: string }[];
      expect(model.graph!.input!.map((i) => i.name)).toEqual(inputs.map((i) => i.name));
      expect(model.graph!.input!.every((i) => (i.doc_string ?? '').length > 10)).toBe(true);

      const session = await ort.InferenceSession.create(bytes);
      const { model: tfModel } = await loadModel(join(run, 'checkpoints', 'step-00000005'));
      const errs: Record<string, number> = {};
      const x = frames(3, objective);
      if (objective === 'prednet') {
        const T = 4;
        const xs = Array.from({ length: T }, (_, t) =>
          tf.tidy(() => tf.clipByValue(tf.add(x, tf.mul(t, frames(3, `t${t}`).sub(0.5))), 0, 1)),
        );
        const preds = tfModel.predictFrames!(tf.stack(xs, 1) as tf.Tensor5D);
        let state: Record<string, ort.Tensor> = {};
        for (const io of inputs.filter((i) => i.name !== 'frame') as {
          name: string;
          shape: (number | string)[];
        }[]) {
          const dims = io.shape.map((d) => (typeof d === 'number' ? d : 3));
          state[io.name] = new ort.Tensor(
            'float32',
            new Float32Array(dims.reduce((a, b) => a * b, 1)),
            dims,
          );
        }
        expect(Object.keys(state)).toEqual(['R0', 'C0', 'E0', 'R1', 'C1', 'E1', 'R2', 'C2', 'E2']);
        for (let t = 0; t < T; t++) {
          const o = await session.run({ frame: nchw(xs[t]!), ...state });
          const ref = tf.transpose(preds[t]!, [0, 3, 1, 2]).dataSync();
          errs[`prediction t=${t}`] = relErr(o.prediction!.data as Float32Array, ref);
          state = Object.fromEntries(Object.keys(state).map((k) => [k, o[`${k}_next`]!]));
        }
        expect(meta['datadiet.recurrent']).toMatch(/zeros at t = 0/);
      } else if (objective === 'egomotion') {
        const x1 = frames(3, 'next');
        const o = await session.run({ frame0: nchw(x), frame1: nchw(x1) });
        const ref = (tfModel as EgomotionModel).predict(tf.stack([x, x1], 1) as tf.Tensor5D);
        errs.motion = relErr(o.motion!.data as Float32Array, ref.dataSync());
        expect(o.motion!.dims).toEqual([3, 6]);
        expect(JSON.parse(meta['datadiet.motion_columns']!)).toEqual([
          'head_vel_x',
          'head_vel_y',
          'head_vel_z',
          'gravity_x',
          'gravity_y',
          'gravity_z',
        ]);
      } else {
        const o = await session.run({ image: nchw(x) });
        const emb = tfModel.encode!(x).embedding;
        errs.embedding = relErr(o.embedding!.data as Float32Array, emb.dataSync());
        if (objective === 'supervised') {
          const v = tfModel.params.vars;
          const logits = tf.add(
            tf.matMul(emb, v.get('classifier/kernel')!),
            v.get('classifier/bias')!,
          );
          errs.logits = relErr(o.logits!.data as Float32Array, logits.dataSync());
          expect(o.logits!.dims).toEqual([3, 4]);
          expect(JSON.parse(meta['datadiet.categories']!)).toEqual(['cup', 'fish', 'lamp', 'tree']);
        }
      }
      console.info(`export ${objective}: onnxruntime vs tfjs ${JSON.stringify(errs)}`);
      for (const e of Object.values(errs)) {
        expect(e).toBeLessThan(objective === 'prednet' ? TOL_PREDNET : TOL);
      }
      tfModel.params.dispose();
      await session.release();

      if (onnxPeer.python) {
        const r = spawnSync(
          onnxPeer.python,
          [
            '-c',
            'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)',
            out,
          ],
          // Not the project root, whose onnx/ folder would shadow the onnx package.
          { encoding: 'utf8', cwd: tmpdir() },
        );
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
    },
    60_000,
  );

  it('evaluate reads an exported model like the run itself (features and own head)', async () => {
    for (const objective of ['supervised', 'egomotion', 'sfa'] as const) {
      const run = join(dir, objective);
      const file = join(dir, `${objective}.onnx`);
      const fromRun = await loadEvalModel(run);
      const fromOnnx = await loadEvalModel(file);
      expect(fromOnnx.description.features).toMatch(/embedding \(named by the export\)/);
      // Frames at twice the training size: both resize (area) the same way.
      const x = tf.image.resizeBilinear(frames(2, 'eval'), [2 * H, 2 * W]) as tf.Tensor4D;
      const e = relErr(fromOnnx.features(x).dataSync(), fromRun.features(x).dataSync());
      expect(e).toBeLessThan(TOL);
      expect(fromOnnx.logits === undefined).toBe(fromRun.logits === undefined);
      if (fromRun.logits) {
        expect(fromOnnx.description.own_head_classes).toBe(4);
        expect(relErr(fromOnnx.logits!(x).dataSync(), fromRun.logits(x).dataSync())).toBeLessThan(
          TOL,
        );
      }
      fromRun.dispose();
      fromOnnx.dispose();
    }
    const pred = await runCli([
      'evaluate',
      '--model',
      join(dir, 'prednet.onnx'),
      '--data',
      dir,
      '--out',
      join(dir, 'ev'),
    ]);
    expect(pred.code).toBe(7);
    expect(pred.err.join('\n')).toMatch(/MODEL_DATA_MISMATCH.*recurrent PredNet step/);
  });

  it('says what is wrong with --model and --out', async () => {
    const missing = await runCli([
      'export',
      '--model',
      join(dir, 'nope'),
      '--out',
      join(dir, 'x.onnx'),
    ]);
    expect(missing.code).toBe(7);
    expect(missing.err.join('\n')).toMatch(/error\[MODEL_NOT_FOUND\].*--model .*nope/);
    const empty = join(dir, 'empty-run');
    mkdirSync(empty);
    const noCkpt = await runCli(['export', '--model', empty, '--out', join(dir, 'x.onnx')]);
    expect(noCkpt.err.join('\n')).toMatch(/MODEL_NOT_FOUND.*no checkpoint.*fix: train first/);
    // A killed export's temp file (a PID that cannot exist) is removed by the next export.
    const stale = join(dir, 'sfa.onnx.tmp-999999999');
    writeFileSync(stale, 'partial');
    expect(
      (await runCli(['export', '--model', join(dir, 'sfa'), '--out', join(dir, 'sfa.onnx')])).code,
    ).toBe(0);
    expect(() => readFileSync(stale)).toThrow();
    const toFolder = await runCli(['export', '--model', join(dir, 'sfa'), '--out', dir]);
    expect(toFolder.code).toBe(2);
    expect(toFolder.err.join('\n')).toMatch(/CLI_USAGE.*--out .* is a folder/);
    // A checkpoint whose weights do not match its config: no file, a clear error.
    const broken = join(dir, 'broken');
    await fakeRun({
      dir: broken,
      config: { objective: 'sfa', steps: 5, encoder },
      height: H,
      width: W,
    });
    const mj = join(broken, 'checkpoints', 'step-00000005', 'model.json');
    const json = JSON.parse(readFileSync(mj, 'utf8')) as {
      modelTopology: { config: { encoder: { depth: number } } };
    };
    json.modelTopology.config.encoder.depth = 4;
    writeFileSync(mj, JSON.stringify(json));
    const bad = await runCli(['export', '--model', broken, '--out', join(dir, 'broken.onnx')]);
    expect(bad.code).toBe(7);
    expect(bad.err.join('\n')).toMatch(/EXPORT_FAILED.*no weight 'encoder\/conv3\/kernel'/);
    expect(() => readFileSync(join(dir, 'broken.onnx'))).toThrow();
  });
});
