/**
 * PyTorch-exported ResNet-18 / MobileNet V2 through `evaluate` end to end on a real rendered
 * dataset and a ClickMe-format shard: the probe reads the input of the final classifier layer (or
 * --features), saliency runs through the ONNX graph, ClickMe goes through the own 1000-class head,
 * preprocessing lands in metrics.json; a URL model is downloaded once from a local HTTP server.
 */
import { createServer, type Server } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPython } from '../core/index.ts';
import { expectDatadietError } from '../core/test-helpers.ts';
import { generateTiny, tempDir } from '../generator/test-helpers.ts';
import { evaluateModel, loadEvalModel } from '../evaluation/index.ts';
import { writeSquareClickMe } from '../evaluation/test-helpers.ts';
import { selectBackend } from '../training/index.ts';
import { exportTorchvision } from './test-helpers.ts';

const peer = findPython(['torch', 'torchvision']);
if (!peer.python) console.warn(`ONNX evaluation tests skipped: ${peer.reason}`);

const SIDE = 32;
let data = '';
let clickme = '';
let work = '';
let resnet = '';
let mobilenet = '';
let server: Server | undefined;
let requests: string[] = [];
let base = '';

describe.skipIf(!peer.python)('evaluate --model *.onnx', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
    work = await tempDir('onnx-eval');
    const gen = generateTiny({
      sequences: 24,
      sequences_per_shard: 24,
      frames: 1,
      width: SIDE,
      height: SIDE,
      objects: {
        count: 1,
        motion: { p_moving: 0 },
        scale: [1.5, 1.8],
        area_radius_m: 0.3,
        categories: ['vehicle', 'chair', 'lamp', 'tree'],
      },
      camera: { trajectory: { kind: 'static' }, jitter_deg: 0 },
      lighting: { shadows: false },
      render: { antialias: false },
      layers: ['rgb', 'seg', 'parts'],
      seed: 5,
    });
    const common = { python: peer.python!, n: 1, size: SIDE, classes: [0] };
    resnet = exportTorchvision({
      ...common,
      arch: 'resnet18',
      opset: 13,
      dir: join(work, 'r'),
    }).onnx;
    mobilenet = exportTorchvision({
      ...common,
      arch: 'mobilenet_v2',
      opset: 15,
      dir: join(work, 'm'),
    }).onnx;
    data = (await gen).out;
    clickme = join(work, 'clickme');
    await writeSquareClickMe(clickme, 4);
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      void readFile(resnet).then((b) => res.end(b));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }, 600_000);
  afterAll(() => server?.close());

  it('ResNet-18: probe on the classifier input, saliency, own ImageNet head on ClickMe, preprocessing recorded', async () => {
    const m = await evaluateModel({
      model: resnet,
      data,
      clickme,
      out: join(work, 'eval-r'),
      maxSamples: 24,
    });
    expect(m.model.format).toBe('onnx');
    expect(m.model.features).toMatch(/input of the final classifier layer/);
    expect(m.model.feature_dim).toBe(512);
    expect(m.model.own_head_classes).toBe(1000);
    // An ImageNet head over other classes: our categories go through the probe only (no
    // own-head columns on them); the head scores ClickMe below.
    expect(m.own_head).toBeNull();
    expect(m.model.preprocessing).toEqual({
      input_size: [SIDE, SIDE],
      range: 1,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      channel_order: 'rgb',
    });
    expect(m.alignment.images).toBeGreaterThan(0);
    expect(Number.isFinite(m.alignment.spearman)).toBe(true);
    // One readout for every model: the main ClickMe figures come from the probe; the ImageNet
    // head's own saliency (Harmonization's readout) is reported apart.
    expect(m.clickme?.head).toMatch(/linear probe/);
    expect(m.clickme?.images).toBe(4);
    expect(m.clickme?.own_head?.scored).toBeGreaterThan(0);
  }, 600_000);

  it('MobileNet V2 from a descriptor with --features on an inner node', async () => {
    const desc = join(work, 'mobilenet.json');
    await writeFile(
      desc,
      JSON.stringify({
        name: 'mnv2',
        model: mobilenet,
        input_size: SIDE,
        mean: [0.5, 0.5, 0.5],
        std: [0.25, 0.25, 0.25],
      }),
    );
    const probeModel = await loadEvalModel(desc);
    expect(probeModel.description.features).toMatch(/classifier/);
    probeModel.dispose();
    // The node (torch 1.13's naming) of the last ReLU6: 1280 channels, average-pooled by the probe.
    const m = await evaluateModel({
      model: desc,
      data,
      out: join(work, 'eval-m'),
      maxSamples: 24,
      features: '/features/features.18/features.18.2/Clip',
    });
    expect(m.model.feature_dim).toBe(1280);
    expect(m.model.preprocessing?.mean).toEqual([0.5, 0.5, 0.5]);
    await expectDatadietError(
      evaluateModel({ model: desc, data, out: join(work, 'eval-x'), features: 'no-such-node' }),
      'CONFIG_INVALID',
      /^features no-such-node/,
    );
  }, 600_000);

  it('--model URL downloads once into the cache, checks a given sha256', async () => {
    process.env['DATADIET_CACHE'] = join(work, 'cache');
    requests = [];
    const url = `${base}/models/resnet18.onnx`;
    for (let i = 0; i < 2; i++) (await loadEvalModel(url)).dispose();
    expect(requests).toEqual(['/models/resnet18.onnx']);
    await expectDatadietError(
      loadEvalModel(`${base}/other/resnet18.onnx#sha256=${'0'.repeat(64)}`),
      'DOWNLOAD_FAILED',
      /differs from the expected/,
    );
    delete process.env['DATADIET_CACHE'];
  }, 600_000);
});
