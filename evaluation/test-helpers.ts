/**
 * Tests only: fixed-weight baselines whose evidence comes from chosen pixels, saved as real tfjs
 * LayersModels with a baseline descriptor. A "spatial pooling" model averages each colour channel
 * over the cells of a g×g grid, weighted by a mask: with a mask on where diagnostic parts appear it
 * looks at parts; with a mask on where objects never are it looks at the background.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import type { Page } from 'puppeteer-core';
import { Rng } from '../core/index.ts';
import { findBrowser, launchBrowser } from '../generator/index.ts';
import { encodeExample, writeTfRecords } from './clickme/index.ts';
import { saveLayersModel } from './model-files.ts';
import type { ProbeSet } from './probe-data.ts';

type MaskSpec = { mask: Float32Array; h: number; w: number; grid: number };

/** The kernel [h·w·3, g·g·3] averaging each channel over the cells of a g×g grid, mask-weighted. */
export function maskedPoolingKernel(opts: MaskSpec): Float32Array {
  const { mask, h, w, grid: g } = opts;
  const out = g * g * 3;
  const kernel = new Float32Array(h * w * 3 * out);
  const totals = new Float64Array(g * g);
  const cellOf = (y: number, x: number) => Math.floor((y * g) / h) * g + Math.floor((x * g) / w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) totals[cellOf(y, x)]! += mask[y * w + x]!;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const cell = cellOf(y, x);
      const m = mask[y * w + x]!;
      if (m === 0 || totals[cell]! === 0) continue;
      for (let c = 0; c < 3; c++) {
        kernel[((y * w + x) * 3 + c) * out + cell * 3 + c] = m / totals[cell]!;
      }
    }
  }
  return kernel;
}

/** A LayersModel: Flatten → Dense(g·g·3, no bias) with `maskedPoolingKernel` as its kernel. */
export function maskedPoolingModel(opts: MaskSpec) {
  const out = opts.grid * opts.grid * 3;
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [opts.h, opts.w, 3] }),
      tf.layers.dense({ units: out, useBias: false, name: 'pool' }),
    ],
  });
  model.layers[1]!.setWeights([tf.tensor2d(maskedPoolingKernel(opts), [opts.h * opts.w * 3, out])]);
  return model;
}

/** Writes the model and a descriptor (`DIR/<name>.json`); returns the descriptor path. */
export async function saveBaseline(
  model: tf.LayersModel,
  dir: string,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  await saveLayersModel(model, join(dir, name));
  const size = model.inputs[0]!.shape.slice(1, 3) as [number, number];
  const descriptor = join(dir, `${name}.json`);
  await writeFile(
    descriptor,
    JSON.stringify({
      name,
      model: `${name}/model.json`,
      format: 'layers',
      input_size: size,
      ...extra,
    }),
  );
  return descriptor;
}

/** Per-pixel mean of the part maps, and of "some object is here" (parts or not) from RGB-free seg. */
export function partPrior(set: ProbeSet): Float32Array {
  const px = set.h * set.w;
  const prior = new Float32Array(px);
  for (let i = 0; i < set.n; i++)
    for (let p = 0; p < px; p++) prior[p]! += set.parts![i * px + p]! / set.n;
  return prior;
}

/**
 * Writes a tfjs GraphModel (the converter's format: a GraphDef as JSON plus weights) computing
 * input [N, h, w, 3] → Reshape → MatMul(kernel [h·w·3, out]) → node "features"; returns model.json.
 */
export async function saveLinearGraphModel(opts: {
  kernel: Float32Array;
  h: number;
  w: number;
  out: number;
  dir: string;
}): Promise<string> {
  const { h, w, out, dir } = opts;
  const n = h * w * 3;
  const dim = (s: number[]) => ({ dim: s.map((v) => ({ size: String(v) })) });
  const float = { type: 'DT_FLOAT' };
  const json = {
    format: 'graph-model',
    generatedBy: 'datadiet tests',
    convertedBy: 'datadiet tests',
    modelTopology: {
      node: [
        {
          name: 'input',
          op: 'Placeholder',
          attr: { dtype: float, shape: { shape: dim([-1, h, w, 3]) } },
        },
        {
          name: 'kernel',
          op: 'Const',
          attr: {
            dtype: float,
            value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim([n, out]) } },
          },
        },
        {
          name: 'shape',
          op: 'Const',
          attr: {
            dtype: { type: 'DT_INT32' },
            value: { tensor: { dtype: 'DT_INT32', tensorShape: dim([2]) } },
          },
        },
        {
          name: 'flat',
          op: 'Reshape',
          input: ['input', 'shape'],
          attr: { T: float, Tshape: { type: 'DT_INT32' } },
        },
        {
          name: 'features',
          op: 'MatMul',
          input: ['flat', 'kernel'],
          attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } },
        },
      ],
      library: {},
      versions: {},
    },
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'kernel', shape: [n, out], dtype: 'float32' },
          { name: 'shape', shape: [2], dtype: 'int32' },
        ],
      },
    ],
  };
  await mkdir(dir, { recursive: true });
  const shape = Int32Array.from([-1, n]);
  await writeFile(
    join(dir, 'weights.bin'),
    Buffer.concat([
      Buffer.from(opts.kernel.buffer, opts.kernel.byteOffset, opts.kernel.byteLength),
      Buffer.from(shape.buffer),
    ]),
  );
  await writeFile(join(dir, 'model.json'), JSON.stringify(json));
  return join(dir, 'model.json');
}

export const CLICKME_TEST_SIDE = 256;
/** Where the class-defining square sits in the synthetic ClickMe images (and human maps). */
export const CLICKME_SQUARE = { r0: 32, r1: 112, c0: 140, c1: 220 };

function jpegOf(pixel: (r: number, c: number) => [number, number, number]): Uint8Array {
  const S = CLICKME_TEST_SIDE;
  const data = Buffer.alloc(S * S * 4);
  for (let r = 0; r < S; r++) {
    for (let c = 0; c < S; c++) data.set([...pixel(r, c), 255], (r * S + c) * 4);
  }
  return Uint8Array.from(jpeg.encode({ data, width: S, height: S }, 90).data);
}

/**
 * A real ClickMe-format shard `dir/val-0.tfrecords` of n records: 256² JPEGs on a seeded random
 * background with a square whose colour is the class (red: 3, blue: 7), the human map marking the
 * square.
 */
export async function writeSquareClickMe(
  dir: string,
  n: number,
  opts: { loneClass?: boolean } = {},
): Promise<void> {
  const q = CLICKME_SQUARE;
  const inSquare = (r: number, c: number) => r >= q.r0 && r < q.r1 && c >= q.c0 && c < q.c1;
  const rng = new Rng(7, 'clickme-test');
  const records: Uint8Array[] = [];
  // With loneClass, one more image of class 5 (a green square): no other image has its class.
  for (let i = 0; i < n + (opts.loneClass ? 1 : 0); i++) {
    const label = i === n ? 5 : i % 2 === 0 ? 3 : 7;
    const square: [number, number, number] =
      label === 3 ? [220, 40, 40] : label === 7 ? [40, 40, 220] : [40, 200, 40];
    const bg: [number, number, number] = [rng.int(60, 200), rng.int(60, 200), rng.int(60, 200)];
    records.push(
      encodeExample({
        image: { kind: 'bytes', values: [jpegOf((r, c) => (inSquare(r, c) ? square : bg))] },
        heatmap: {
          kind: 'bytes',
          values: [jpegOf((r, c) => (inSquare(r, c) ? [255, 255, 255] : [0, 0, 0]))],
        },
        label: { kind: 'int64', values: [BigInt(label)] },
      }),
    );
  }
  await mkdir(dir, { recursive: true });
  await writeTfRecords(join(dir, 'val-0.tfrecords'), records);
}

/**
 * Opens a self-contained HTML file in headless Chromium and runs `inspect` on the page. Returns
 * what it returned and every problem the page had: console errors and warnings, page errors,
 * requests that failed or left the file (a self-contained report needs no network). The browser
 * is closed however `inspect` ends.
 */
export async function inspectHtml<T>(
  htmlPath: string,
  inspect: (page: Page) => Promise<T>,
): Promise<{ result: T; problems: string[] }> {
  const browser = await launchBrowser(findBrowser());
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (q) => {
      if (!/^(file|data):/.test(q.url())) problems.push(`external request: ${q.url()}`);
    });
    page.on('requestfailed', (q) => problems.push(`request failed: ${q.url()}`));
    await page.goto(`file://${htmlPath}`, { waitUntil: 'load' });
    return { result: await inspect(page), problems };
  } finally {
    await browser.close();
  }
}
