/**
 * One model, one evaluation folder: a linear probe on frozen features, gradient saliency of the
 * true-class logit, its alignment with the renderer's diagnostic-part maps (blurred as ClickMe
 * does), shortcut reliance, shape bias, next-frame prediction (PredNet) and, with ClickMe data,
 * the honest k-fold probe there. Everything is loaded and checked before anything is written, and
 * `metrics.json` is written last, so a failed run leaves no half a result; a rerun whose inputs
 * fingerprint matches the existing `metrics.json` returns it without recomputing.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DatadietError, Rng, stableJson } from '../core/index.ts';
import { selectBackend } from '../training/index.ts';
import {
  clickmeScores,
  fitDataProbe,
  ownHeadScores,
  predictionScores,
  probeSaliency,
  shapeBiasScores,
  shortcutScores,
  slownessScores,
  type EvalInputs,
  type Progress,
  type StepContext,
} from './evaluate-score.ts';
import { writeEvaluation } from './evaluate-write.ts';
import { EVAL_FORMAT, EvalMetricsSchema, METRICS_FILE, type EvalMetrics } from './metrics.ts';
import { loadEvalModel, type EvalModel } from './models.ts';
import { loadProbeSet, type ProbeField, type ProbeSet } from './probe-data.ts';
import type { SmoothGrad } from './saliency.ts';

export { HELD_OUT_FRACTION } from './evaluate-score.ts';

export interface EvaluateOptions {
  /** A run folder, a checkpoint folder, or a baseline descriptor JSON. */
  model: string;
  /** Rendered probe data with labels and `parts` (the correlated split for shortcut tests). */
  data: string;
  decorrelated?: string | undefined;
  cueConflict?: string | undefined;
  clickme?: string | undefined;
  out: string;
  seed?: number | undefined;
  /** At most this many sequences from each dataset (and ClickMe images). */
  maxSamples?: number | undefined;
  smoothgrad?: SmoothGrad | undefined;
  /** tfjs backend (`auto` when omitted and none was chosen yet). */
  backend?: string | undefined;
  /** Node/value (ONNX) or layer/node (tfjs baseline) the probe reads. */
  features?: string | undefined;
  onProgress?: (e: { stage: string; done: number; total: number }) => void;
}

let backendChosen = false;
async function ensureBackend(name: string | undefined): Promise<string> {
  if (name !== undefined || !backendChosen) {
    await selectBackend(name ?? 'auto');
    backendChosen = true;
  }
  return tf.getBackend();
}

function fingerprintOf(o: EvaluateOptions, parts: unknown): string {
  return createHash('sha256')
    .update(
      stableJson({
        format: EVAL_FORMAT,
        parts,
        seed: o.seed ?? 0,
        maxSamples: o.maxSamples ?? null,
        smoothgrad: o.smoothgrad ?? null,
        ...(o.features !== undefined ? { features: o.features } : {}),
      }),
    )
    .digest('hex');
}

/**
 * ClickMe shards by name, size and modification time: replaced shards at the same path must not
 * reuse old metrics, and hashing gigabytes of JPEGs on every run would cost more than it saves.
 */
async function clickmeIdentity(dir: string): Promise<unknown> {
  const root = resolve(dir);
  try {
    const names = (await readdir(root)).filter((n) => n.endsWith('.tfrecords')).sort();
    const files = await Promise.all(
      names.map(async (n) => {
        const s = await stat(join(root, n));
        return [n, s.size, s.mtimeMs];
      }),
    );
    return { dir: root, files };
  } catch {
    return { dir: root, files: null }; // loadClickMe reports a missing folder with its own code
  }
}

async function readExisting(out: string): Promise<EvalMetrics | null> {
  try {
    const parsed = EvalMetricsSchema.safeParse(
      JSON.parse(await readFile(join(out, METRICS_FILE), 'utf8')),
    );
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function sameCategories(a: ProbeSet, b: ProbeSet, field: ProbeField) {
  if (a.categories.join() !== b.categories.join()) {
    throw new DatadietError(
      'EVAL_DATA_UNUSABLE',
      `${field} ${b.dir} numbers its categories differently from the probe data ${a.dir}`,
      {
        hint: 'generate both datasets with the same datadiet version and category list',
        field: { config: 'evaluate', path: field },
      },
    );
  }
}

/**
 * The evaluation as a list of steps: check the options, load and check every input, reuse a
 * finished result, score (probe → saliency → own head → shortcut → shape bias → slowness →
 * prediction → ClickMe), write.
 */
export async function evaluateModel(o: EvaluateOptions): Promise<EvalMetrics> {
  validateOptions(o);
  const backend = await ensureBackend(o.backend);
  const c: StepContext = {
    dataDir: o.data,
    clickmeDir: o.clickme,
    seed: o.seed ?? 0,
    maxSamples: o.maxSamples,
    smoothgrad: o.smoothgrad,
    rng: new Rng(o.seed ?? 0, 'evaluate'),
    progress: o.onProgress ?? (() => {}),
  };
  // Load and check everything first: a mistake found here has written nothing.
  const model = await loadEvalModel(o.model, { features: o.features });
  try {
    const inputs = await loadInputs(o, c.progress);
    const fingerprint = await inputsFingerprint(o, model, inputs);
    const existing = await readExisting(o.out);
    if (existing && existing.inputs.fingerprint === fingerprint) {
      c.progress({ stage: 'reused', done: 1, total: 1 });
      return existing;
    }
    const { data } = inputs;
    const probe = await fitDataProbe(c, model, data);
    const part = await probeSaliency(c, model, data, probe);
    const ownHead = await ownHeadScores(c, model, data, probe);
    const { shortcut, decorFeats } = await shortcutScores(c, model, inputs.decor, probe);
    const shapeBias = await shapeBiasScores(c, model, inputs, probe, decorFeats);
    const slowness = await slownessScores(c, model);
    const prediction = await predictionScores(c, model);
    const clickme = await clickmeScores(c, model);
    const s = { probe, part, ownHead, shortcut, shapeBias, slowness, prediction, clickme };
    const metrics = await writeEvaluation({ o, c, model, data, backend, fingerprint, s });
    c.progress({ stage: 'done', done: 1, total: 1 });
    return metrics;
  } finally {
    model.dispose();
  }
}

/** Option values a library caller can get wrong (the CLI names the flag of a bad field). */
function validateOptions(o: EvaluateOptions): void {
  if (o.maxSamples !== undefined && !(Number.isInteger(o.maxSamples) && o.maxSamples >= 4)) {
    throw new DatadietError(
      'CONFIG_INVALID',
      `maxSamples must be an integer ≥ 4, got ${o.maxSamples}`,
      {
        hint: 'pass a whole number of sequences, at least 4, or leave it out to use all',
        field: { config: 'evaluate', path: 'maxSamples' },
      },
    );
  }
  if (
    o.smoothgrad &&
    !(Number.isInteger(o.smoothgrad.n) && o.smoothgrad.n >= 1 && o.smoothgrad.sigma >= 0)
  ) {
    throw new DatadietError('CONFIG_INVALID', 'smoothgrad needs n ≥ 1 draws and sigma ≥ 0', {
      hint: 'e.g. smoothgrad: { n: 16, sigma: 0.1 }',
      field: { config: 'evaluate', path: 'smoothgrad' },
    });
  }
}

/** --data (with part maps), --decorrelated and --cue-conflict, checked against each other. */
async function loadInputs(o: EvaluateOptions, progress: Progress): Promise<EvalInputs> {
  progress({ stage: 'load data', done: 0, total: 1 });
  const data = await loadProbeSet({
    dir: o.data,
    field: 'data',
    maxSamples: o.maxSamples,
    needParts: true,
  });
  const decor = o.decorrelated
    ? await loadProbeSet({
        dir: o.decorrelated,
        field: 'decorrelated',
        maxSamples: o.maxSamples,
      })
    : null;
  const cue = o.cueConflict
    ? await loadProbeSet({ dir: o.cueConflict, field: 'cueConflict', maxSamples: o.maxSamples })
    : null;
  if (decor) sameCategories(data, decor, 'decorrelated');
  if (cue) {
    sameCategories(data, cue, 'cueConflict');
    if (!cue.cueConflict.some((v) => v === 1)) {
      throw new DatadietError(
        'EVAL_DATA_UNUSABLE',
        `cueConflict ${cue.dir} has no cue-conflict objects (shape of one category, texture of another)`,
        {
          hint: 'generate it with --preset cue-conflict',
          field: { config: 'evaluate', path: 'cueConflict' },
        },
      );
    }
  }
  return { data, decor, cue };
}

/** The identity of every input and option that shapes the result (a rerun with it reuses it). */
async function inputsFingerprint(
  o: EvaluateOptions,
  model: EvalModel,
  { data, decor, cue }: EvalInputs,
): Promise<string> {
  return fingerprintOf(o, {
    model: model.identity,
    data: data.identity,
    decorrelated: decor?.identity ?? null,
    cueConflict: cue?.identity ?? null,
    clickme: o.clickme ? await clickmeIdentity(o.clickme) : null,
  });
}
