/**
 * The Python side (python/): the tar + NumPy reader and its PyTorch IterableDataset on a real
 * rendered dataset (several shards, several objects per sequence), and an exported model run in
 * Python (onnxruntime, onnx.reference or the NumPy interpreter, whichever is present) giving the
 * same features and the same probe top-1 as datadiet's own readout. Skipped, with the reason
 * printed, where python3 lacks NumPy/onnx (or torch for the DataLoader parts).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPython, Rng } from '../core/index.ts';
import {
  fitProbe,
  loadProbeSet,
  probeAccuracy,
  probeLogits,
  argmaxRows,
  loadEvalModel,
} from '../evaluation/index.ts';
import { generateTiny, tempDir } from '../generator/test-helpers.ts';
import { relErr, exportRun, decodeModel, metadata } from '../onnx/index.ts';
import { fakeRun } from '../onnx/export-fixture.ts';
import { runCli } from '../cli/test-helpers.ts';
import { decodeNpy, encodeNpy, ndarray, typedView } from '../output/index.ts';
import { loadModel, selectBackend } from '../training/index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const numpy = findPython(['numpy']);
const onnx = findPython(['numpy', 'onnx']);
const torch = findPython(['numpy', 'torch']);
const torchOnnx = findPython(['numpy', 'torch', 'onnx']);
for (const [what, p] of [
  ['python/ reader', numpy],
  ['python/ ONNX probe', onnx],
  ['python/ PyTorch DataLoader', torch],
  ['python/ ONNX as a torch Module', torchOnnx],
] as const) {
  if (!p.python) console.warn(`${what} tests skipped: ${p.reason}`);
}

function py(python: string, args: string[]): string {
  // Not the project root: its onnx/ folder would shadow the onnx package.
  const r = spawnSync(python, args, { encoding: 'utf8', cwd: tmpdir(), timeout: 240_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
const jsonLines = (s: string) =>
  s
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let data = '';
let work = '';

describe.skipIf(!numpy.python)('python/', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
    work = await tempDir('python');
    data = (
      await generateTiny({
        sequences: 30,
        sequences_per_shard: 5,
        frames: 3,
        width: 16,
        height: 16,
        objects: { count: [1, 3], motion: { p_moving: 0 } },
        camera: { trajectory: { kind: 'static' }, jitter_deg: 0 },
        lighting: { shadows: false },
        render: { antialias: false },
        layers: ['rgb', 'seg'],
        seed: 3,
      })
    ).out;
  }, 300_000);
  afterAll(async () => {
    for (const d of [work, data]) if (d) await rm(d, { recursive: true, force: true });
  });

  it('reads every sample with the label rule evaluate uses, under either shard path form', async () => {
    const set = await loadProbeSet({ dir: data, field: 'data' });
    const manifest = JSON.parse(await readFile(join(data, 'manifest.json'), 'utf8')) as {
      shards: { file: string }[];
    };
    expect(manifest.shards).toHaveLength(6);
    // Both forms of a shard's `file`: relative to manifest.json, and a bare name under shards/.
    for (const form of ['relative', 'bare'] as const) {
      const copy = join(work, `data-${form}`);
      await mkdir(copy);
      await symlink(join(data, 'shards'), join(copy, 'shards'));
      const files = manifest.shards.map((s) => s.file.split('/').pop()!);
      const shards = manifest.shards.map((s, i) => ({
        ...s,
        file: form === 'bare' ? files[i] : `shards/${files[i]}`,
      }));
      await writeFile(join(copy, 'manifest.json'), JSON.stringify({ ...manifest, shards }));
      const rows = jsonLines(py(numpy.python!, [join(here, 'datadiet_shards.py'), copy]));
      const labelled = rows.filter((r) => (r.label as number) >= 0);
      expect(labelled.map((r) => r.key)).toEqual(set.keys);
      expect(labelled.map((r) => r.label)).toEqual(Array.from(set.labels));
      expect(rows[0]!.shape).toEqual([3, 16, 16, 3]);
    }
    // Several objects per sequence: the dominant-object rule is exercised, not just objects[0].
    const multi = py(numpy.python!, [
      '-c',
      `import sys; sys.path.insert(0, ${JSON.stringify(here)})
from datadiet_shards import ShardDataset
print(sum(len(s["json"]["objects"]) > 1 for s in ShardDataset(${JSON.stringify(data)}, members=set())))`,
    ]);
    expect(Number(multi.trim())).toBeGreaterThan(5);
  }, 120_000);

  it.skipIf(!torch.python)(
    'PyTorch: DataLoader workers × ranks read disjoint shards that cover the dataset; the training example runs',
    () => {
      const out = py(torch.python!, [
        '-c',
        `import sys, json; sys.path.insert(0, ${JSON.stringify(here)})
from torch.utils.data import DataLoader
from datadiet_shards import ShardDataset
keys = []
for rank in range(2):
    ds = ShardDataset(${JSON.stringify(data)}, members=set(), rank=rank, world_size=2,
                      transform=lambda s: s["__key__"], shuffle_shards=True, seed=4)
    got = [k for batch in DataLoader(ds, batch_size=4, num_workers=2) for k in batch]
    keys.append(got)
print(json.dumps(keys))`,
      ]);
      const keys = JSON.parse(out) as string[][];
      const all = keys.flat();
      expect(all).toHaveLength(30);
      expect(new Set(all).size).toBe(30);
      // 6 shards over 2 ranks × 2 workers: each rank reads 3 whole shards (15 or 10/20 samples).
      expect(keys[0]!.length % 5).toBe(0);
      expect(keys[0]!.length + keys[1]!.length).toBe(30);

      const train = jsonLines(
        py(torch.python!, [
          join(here, 'train_torch.py'),
          ...['--data', data, '--epochs', '2', '--workers', '2', '--batch', '8'],
        ]),
      );
      expect(train).toHaveLength(2);
      expect(train[0]!.images).toBeGreaterThan(20);
      expect(Number.isFinite(train[1]!.loss)).toBe(true);
    },
    240_000,
  );

  it.skipIf(!onnx.python)(
    'an exported model run in Python gives the same features and probe top-1 as datadiet',
    async () => {
      // An SFA encoder at 8×8 (the data is 16×16: both sides shrink by 2×2 block means).
      const run = join(work, 'sfa-run');
      await fakeRun({
        dir: run,
        config: { objective: 'sfa', steps: 5, encoder: { width: 6, depth: 2, embedding: 12 } },
        height: 8,
        width: 8,
      });
      const file = join(work, 'sfa.onnx');
      await exportRun({ model: run, out: file });
      const saved = join(work, 'features.npy');
      const res = JSON.parse(
        py(onnx.python!, [
          join(here, 'probe_onnx.py'),
          ...['--model', file, '--data', data, '--held-out-every', '3', '--alpha', '0.1'],
          ...['--save-features', saved],
        ]),
      ) as {
        top1: number;
        backend: string;
        features: string;
        dim: number;
        held_out: number;
        held_out_predictions: { key: string; label: number; prediction: number }[];
      };
      expect(res.features).toBe('embedding');
      expect(res.dim).toBe(12);

      const set = await loadProbeSet({ dir: data, field: 'data' });
      const classes = (
        JSON.parse(await readFile(join(data, 'manifest.json'), 'utf8')) as { categories: unknown[] }
      ).categories.length;
      const model = await loadEvalModel(run);
      const x = tf.tensor4d(set.images, [set.n, set.h, set.w, 3]);
      const ours = model.features(x).dataSync() as Float32Array;
      const theirs = typedView(decodeNpy(await readFile(saved))) as Float64Array;
      const e = relErr(theirs, ours);
      expect(e).toBeLessThan(1e-5);
      const rows = Array.from({ length: set.n }, (_, i) => i);
      const fit = rows.filter((i) => i % 3 !== 2);
      const held = rows.filter((i) => i % 3 === 2);
      expect(res.held_out).toBe(held.length);
      const probe = fitProbe({
        features: ours,
        dim: 12,
        labels: set.labels,
        idx: fit,
        numClasses: classes,
        alpha: 0.1,
      });
      const top1 = probeAccuracy(probe, ours, set.labels, held);
      const sub = Float32Array.from(
        held.flatMap((r) => Array.from(ours.subarray(r * 12, r * 12 + 12))),
      );
      const pred = argmaxRows(probeLogits(probe, sub, held.length), held.length, classes);
      expect(res.held_out_predictions).toEqual(
        held.map((r, i) => ({ key: set.keys[r], label: set.labels[r], prediction: pred[i] })),
      );
      console.info(
        `python probe (${res.backend}): top-1 ${res.top1.toFixed(3)} vs datadiet ${top1.toFixed(3)}; features rel. err ${e.toExponential(1)}`,
      );
      expect(res.top1).toBeCloseTo(top1, 10);
      model.dispose();
      x.dispose();
    },
    240_000,
  );
  it.skipIf(!torchOnnx.python)(
    'an export as a torch Module: the same logits and input gradients as tfjs; layers hookable by name',
    async () => {
      const run = join(work, 'sup-run');
      await fakeRun({
        dir: run,
        config: {
          objective: 'supervised',
          steps: 5,
          encoder: { width: 4, depth: 3, embedding: 8 },
        },
        height: 12,
        width: 14,
        numClasses: 5,
      });
      const file = join(work, 'sup.onnx');
      await exportRun({ model: run, out: file });
      const { model } = await loadModel(join(run, 'checkpoints', 'step-00000005'));
      const r = new Rng(1, 'torch');
      const x = tf.tensor4d(
        Float32Array.from({ length: 2 * 12 * 14 * 3 }, () => r.uniform(0, 1)),
        [2, 12, 14, 3],
      );
      const v = model.params.vars;
      const logitsOf = (inp: tf.Tensor4D) =>
        tf.add(
          tf.matMul(model.encode!(inp).embedding, v.get('classifier/kernel')!),
          v.get('classifier/bias')!,
        );
      const mask = tf.oneHot(tf.tensor1d([1, 3], 'int32'), 5);
      const grad = tf.grad((inp: tf.Tensor) => tf.sum(tf.mul(logitsOf(inp as tf.Tensor4D), mask)))(
        x,
      );
      const xs = join(work, 'x.npy');
      await writeFile(
        xs,
        encodeNpy(
          ndarray(
            'float32',
            [2, 3, 12, 14],
            Float32Array.from(tf.transpose(x, [0, 3, 1, 2]).dataSync()),
          ),
        ),
      );
      const out = py(torchOnnx.python!, [
        '-c',
        `import sys, json, numpy as np, torch; sys.path.insert(0, ${JSON.stringify(here)})
from datadiet_torch import to_torch
net = to_torch(sys.argv[1])
seen = []
net.taps["relu2"].register_forward_hook(lambda m, i, o: seen.append(list(o.shape)))
x = torch.from_numpy(np.load(sys.argv[2])).requires_grad_()
logits = net(x)["logits"]
logits[[0, 1], [1, 3]].sum().backward()
np.save(sys.argv[3], logits.detach().numpy()); np.save(sys.argv[4], x.grad.numpy())
print(json.dumps({"layers": net.layers, "hooked": seen}))`,
        file,
        xs,
        join(work, 'logits.npy'),
        join(work, 'grad.npy'),
      ]);
      const info = JSON.parse(out) as { layers: string[]; hooked: number[][] };
      expect(info.layers).toEqual(['relu0', 'relu1', 'relu2', 'pooled', 'embedding', 'logits']);
      expect(info.hooked).toEqual([[2, 16, 2, 2]]);
      const read = async (f: string) => typedView(decodeNpy(await readFile(join(work, f))));
      const eLogits = relErr(await read('logits.npy'), logitsOf(x).dataSync());
      const eGrad = relErr(await read('grad.npy'), tf.transpose(grad, [0, 3, 1, 2]).dataSync());
      console.info(
        `torch Module vs tfjs: logits ${eLogits.toExponential(1)}, input gradient ${eGrad.toExponential(1)}`,
      );
      expect(eLogits).toBeLessThan(1e-5);
      expect(eGrad).toBeLessThan(1e-5);
      model.params.dispose();
    },
    240_000,
  );
  it.skipIf(!onnx.python)('train → export → probe in Python, all through the CLIs', async () => {
    const run = join(work, 'trained');
    const train = await runCli([
      ...['train', '--data', data, '--out', run, '--objective', 'supervised', '--steps', '3'],
      ...['--batch', '4', '--width', '4', '--depth', '2', '--embedding', '8', '--backend', 'wasm'],
    ]);
    expect(train.code).toBe(0);
    const file = join(work, 'trained.onnx');
    const ex = await runCli(['export', '--model', run, '--out', file, '--backend', 'wasm']);
    expect(ex.err).toEqual([]);
    expect(ex.out[0]).toMatch(/exported: .*trained\.onnx \(supervised, step 3/);
    const res = JSON.parse(
      py(onnx.python!, [join(here, 'probe_onnx.py'), '--model', file, '--data', data]),
    ) as { features: string; dim: number; fit: number; held_out: number; top1: number };
    expect(res).toMatchObject({ features: 'embedding', dim: 8 });
    expect(res.fit + res.held_out).toBe((await loadProbeSet({ dir: data, field: 'data' })).n);
    expect(res.top1).toBeGreaterThanOrEqual(0);
    // The training dataset is at hand: the head's classes are named in the metadata.
    const meta = metadata(decodeModel(await readFile(file), file));
    expect(JSON.parse(meta['datadiet.categories']!)).toHaveLength(10);
  });
});
