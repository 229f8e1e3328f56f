/**
 * Alignment on ClickMe data, with real TFRecord shards of real JPEGs written here: the class is
 * the colour of a square whose place the human maps mark, so a model that pools the square's
 * pixels must be the better aligned of two, through the honest k-fold probe.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../generator/test-helpers.ts';
import { selectBackend } from '../training/index.ts';
import { CLICKME_CEILING, loadEvalModel } from './index.ts';
import { clickmeAlignment } from './clickme-eval.ts';
import {
  CLICKME_SQUARE,
  CLICKME_TEST_SIDE,
  maskedPoolingModel,
  saveBaseline,
  writeSquareClickMe,
} from './test-helpers.ts';

const SIDE = CLICKME_TEST_SIDE;
const SQUARE = CLICKME_SQUARE;
const inSquare = (r: number, c: number) =>
  r >= SQUARE.r0 && r < SQUARE.r1 && c >= SQUARE.c0 && c < SQUARE.c1;

let dir = '';
let models = '';
let squareModel = '';
let elsewhereModel = '';

beforeAll(async () => {
  await selectBackend('wasm');
  dir = await tempDir('clickme-eval');
  await writeSquareClickMe(dir, 12);
  models = await tempDir('clickme-models');
  const h = 32;
  const mask = (inside: boolean) =>
    Float32Array.from({ length: h * h }, (_, p) => {
      const r = Math.floor(p / h) * (SIDE / h);
      const c = (p % h) * (SIDE / h);
      return inSquare(r, c) === inside ? 1 : 0;
    });
  squareModel = await saveBaseline(
    maskedPoolingModel({ mask: mask(true), h, w: h, grid: 2 }),
    models,
    'square',
  );
  elsewhereModel = await saveBaseline(
    maskedPoolingModel({ mask: mask(false), h, w: h, grid: 2 }),
    models,
    'elsewhere',
  );
}, 120_000);

describe('ClickMe alignment through the k-fold probe', () => {
  it('ranks the model that looks at the human-marked square above one that looks elsewhere', async () => {
    const run = async (path: string) => {
      const model = await loadEvalModel(path);
      try {
        return await clickmeAlignment({ model, dir, seed: 1, folds: 3 });
      } finally {
        model.dispose();
      }
    };
    const square = await run(squareModel);
    const elsewhere = await run(elsewhereModel);
    console.log(
      `ClickMe: square ρ ${square.metrics.spearman.toFixed(3)} (norm ${square.metrics.spearman_normalised.toFixed(3)}, top1 ${square.metrics.top1}), elsewhere ρ ${elsewhere.metrics.spearman.toFixed(3)} (top1 ${elsewhere.metrics.top1})`,
    );
    expect(square.metrics.images).toBe(12);
    expect(square.metrics.folds).toBe(3);
    expect(square.metrics.top1).toBe(1);
    expect(square.metrics.spearman_normalised).toBeCloseTo(
      square.metrics.spearman / CLICKME_CEILING,
      10,
    );
    expect(square.metrics.spearman).toBeGreaterThan(elsewhere.metrics.spearman + 0.3);
    expect(square.metrics.note).toContain('probe');
    expect(square.metrics.scored).toBe(12);
    expect(square.metrics.skipped).toEqual({
      class_missing_from_fit_folds: 0,
      constant_saliency: 0,
    });
    const ci = square.metrics.spearman_ci!;
    expect(ci[0]).toBeLessThanOrEqual(square.metrics.spearman);
    expect(ci[1]).toBeGreaterThanOrEqual(square.metrics.spearman);
    expect(square.metrics.own_head).toBeNull();
    expect(square.figure).not.toBeNull();
  }, 120_000);

  it('leaves out and counts an image whose class no fit fold holds, instead of scoring it 0', async () => {
    const lone = await tempDir('clickme-lone');
    await writeSquareClickMe(lone, 12, { loneClass: true });
    const model = await loadEvalModel(squareModel);
    try {
      const r = await clickmeAlignment({ model, dir: lone, seed: 1, folds: 3 });
      expect(r.metrics.images).toBe(13);
      expect(r.metrics.skipped.class_missing_from_fit_folds).toBe(1);
      expect(r.metrics.scored).toBe(12);
      // The 12 scored images are the ones of the fixture above, with the same stratified folds
      // for classes 3 and 7: their mean ρ is high, not pulled toward 0 by a constant map.
      expect(r.metrics.spearman).toBeGreaterThan(0.3);
    } finally {
      model.dispose();
    }
  }, 120_000);
});
