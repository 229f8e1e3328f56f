import { DatadietError } from '../core/index.ts';
import { BACKEND_NAMES } from '../training/index.ts';
import { evaluateModel, type EvalMetrics, type EvaluateOptions } from '../evaluation/index.ts';
import { defineCommand, type ArgsOf, type FlagTable } from './flags.ts';
import { createProgress, type Progress } from './progress.ts';

/** The options of `evaluateModel()` that flags set (the compiler checks the names). */
export const EVALUATE_FIELDS = [
  'model',
  'data',
  'decorrelated',
  'cueConflict',
  'clickme',
  'out',
  'seed',
  'maxSamples',
  'smoothgrad',
  'features',
  'backend',
] as const satisfies readonly (keyof EvaluateOptions)[];

/** Flags shared by `evaluate` and `compare`: the evaluation options, SmoothGrad as two flags. */
export const EVAL_DATA_FLAGS = {
  data: {
    type: 'string',
    demandOption: true,
    describe:
      'rendered probe data with labels and the parts layer (the background-correlated split for shortcut tests)',
    field: 'evaluate.data',
  },
  decorrelated: {
    type: 'string',
    describe: 'the matching split with grounds independent of category (shortcut drop)',
    field: 'evaluate.decorrelated',
  },
  'cue-conflict': {
    type: 'string',
    describe: 'cue-conflict renders (preset cue-conflict) for shape bias',
    field: 'evaluate.cueConflict',
  },
  clickme: {
    type: 'string',
    describe: 'folder of Harmonization ClickMe shards (val-*.tfrecords) for human-map alignment',
    field: 'evaluate.clickme',
    hint: 'point --clickme at the Harmonization shards (val-*.tfrecords), or raise --max-samples',
  },
  out: { type: 'string', demandOption: true, describe: 'output folder', field: 'evaluate.out' },
  seed: {
    type: 'number',
    describe: 'probe split, folds and SmoothGrad noise (default 0)',
    field: 'evaluate.seed',
  },
  'max-samples': {
    type: 'number',
    describe: 'at most this many sequences (and ClickMe images) per dataset',
    field: 'evaluate.maxSamples',
    hint: 'pass a whole number of sequences, at least 4, or leave it out to use all',
  },
  smoothgrad: {
    type: 'number',
    describe: 'SmoothGrad: noisy copies per image (off by default)',
    field: 'evaluate.smoothgrad',
    hint: 'e.g. --smoothgrad 16 --smoothgrad-sigma 0.1',
  },
  'smoothgrad-sigma': {
    type: 'number',
    describe: 'SmoothGrad noise std, pixels in [0, 1] (default 0.1)',
    field: 'evaluate.smoothgrad',
  },
  features: {
    type: 'string',
    describe:
      'node or value of an external model the probe reads (ONNX value/node name, tfjs layer); default: the input of its final classifier layer',
    field: 'evaluate.features',
  },
  backend: {
    type: 'string',
    default: 'auto',
    describe: `${BACKEND_NAMES.join('|')} (tfjs backend)`,
    field: 'evaluate.backend',
  },
} as const satisfies FlagTable;

export type EvalDataArgs = ArgsOf<typeof EVAL_DATA_FLAGS>;

const EVALUATE_FLAGS = {
  ...EVAL_DATA_FLAGS,
  model: {
    type: 'string',
    demandOption: true,
    describe:
      'a run folder (`datadiet train --out`), a checkpoint folder, an .onnx file, a baseline JSON descriptor (tfjs or ONNX model), or an http(s) URL of an .onnx file or tfjs model.json',
    field: 'evaluate.model',
  },
} as const satisfies FlagTable;

/** The shared flags → evaluation options (progress bar included). */
export function evalOptions(a: EvalDataArgs): {
  options: Omit<EvaluateOptions, 'model' | 'out'>;
  stop: () => void;
} {
  if (a.smoothgrad === undefined && a.smoothgradSigma !== undefined) {
    throw new DatadietError('CLI_USAGE', '--smoothgrad-sigma needs --smoothgrad N', {
      hint: 'add --smoothgrad 16 (noisy copies per image)',
    });
  }
  let bar: Progress | undefined;
  let stage = '';
  return {
    options: {
      data: a.data,
      decorrelated: a.decorrelated,
      cueConflict: a.cueConflict,
      clickme: a.clickme,
      seed: a.seed,
      maxSamples: a.maxSamples,
      smoothgrad:
        a.smoothgrad === undefined
          ? undefined
          : { n: a.smoothgrad, sigma: a.smoothgradSigma ?? 0.1 },
      backend: a.backend,
      features: a.features,
      onProgress: (e) => {
        if (e.total <= 0) return;
        if (e.stage !== stage) {
          bar?.stop();
          stage = e.stage;
          bar = createProgress({ total: e.total, unit: e.stage });
        }
        bar?.update(e.done);
      },
    },
    stop: () => bar?.stop(),
  };
}

const f3 = (v: number | null | undefined) => (typeof v === 'number' ? v.toFixed(3) : '—');
const ci3 = (c: [number, number] | null | undefined) => (c ? ` [${f3(c[0])}, ${f3(c[1])}]` : '');

/** A few lines for a person (95 % intervals in brackets); metrics.json has everything. */
export function summarise(m: EvalMetrics): string[] {
  const lines = [
    `model: ${m.model.name} (${m.model.kind}${m.model.objective ? `, ${m.model.objective}` : ''}), features ${m.model.features} [${m.model.feature_dim}], pooling: ${m.model.pooling}`,
    `probe top-1: ${f3(m.probe.top1)}${ci3(m.probe.top1_ci)} on ${m.probe.held_out} held-out images (chance ${f3(m.probe.chance)}; ridge α ${m.probe.alpha} by ${m.probe.alpha_cv_folds}-fold inner CV)`,
    `alignment with diagnostic parts (probe saliency): Spearman ρ ${f3(m.alignment.spearman)}${ci3(m.alignment.spearman_ci)}, Dice ${f3(m.alignment.dice)}, IoU ${f3(m.alignment.iou)} (${m.alignment.images} images)`,
  ];
  if (m.own_head) {
    lines.push(
      `own head (apart): top-1 ${f3(m.own_head.top1)}${ci3(m.own_head.top1_ci)}, part ρ ${f3(m.own_head.spearman)}${ci3(m.own_head.spearman_ci)}`,
    );
  }
  if (m.shortcut) {
    lines.push(
      `shortcut: top-1 ${f3(m.shortcut.correlated_top1)} correlated → ${f3(m.shortcut.decorrelated_top1)} decorrelated (drop ${f3(m.shortcut.drop)}${ci3(m.shortcut.drop_ci)})`,
    );
  }
  if (m.shape_bias) {
    lines.push(
      `shape bias: ${f3(m.shape_bias.value)}${ci3(m.shape_bias.value_ci)} with coverage ${f3(m.shape_bias.coverage)} (${m.shape_bias.shape} shape, ${m.shape_bias.texture} texture, ${m.shape_bias.neither} neither; probe fitted on ${m.shape_bias.probe_fit})`,
    );
  }
  if (m.slowness) {
    lines.push(
      `held-out slowness: Δ ${f3(m.slowness.delta)}${ci3(m.slowness.delta_ci)}, mean |corr| ${f3(m.slowness.mean_abs_correlation)}, feature std ${f3(m.slowness.feature_std)} (${m.slowness.sequences} sequences)`,
    );
  }
  if (m.prediction) {
    lines.push(
      `next frame: MSE ${m.prediction.mse.toFixed(5)} vs copy-last ${m.prediction.copy_last_mse.toFixed(5)}; SSIM ${f3(m.prediction.ssim)} vs ${f3(m.prediction.copy_last_ssim)}; MSE at t=1 ${m.prediction.mse_per_t[0]?.toFixed(5) ?? '—'}`,
    );
  }
  if (m.clickme) {
    lines.push(
      `ClickMe: ρ ${f3(m.clickme.spearman)} = ${f3(m.clickme.spearman_normalised)}${ci3(m.clickme.spearman_normalised_ci)} of the human ceiling (${m.clickme.scored} of ${m.clickme.images} images scored; ${m.clickme.head})`,
    );
  }
  return lines;
}

async function runEvaluate(
  args: ArgsOf<typeof EVALUATE_FLAGS>,
  log: (line: string) => void,
): Promise<void> {
  const { options, stop } = evalOptions(args);
  try {
    const m = await evaluateModel({ ...options, model: args.model, out: args.out });
    stop();
    for (const l of summarise(m)) log(l);
    log(`metrics: ${args.out}/metrics.json`);
  } finally {
    stop();
  }
}

export const evaluateCommand = defineCommand({
  command: 'evaluate',
  describe: 'probe accuracy, saliency alignment, shortcut reliance and shape bias of one model',
  flags: EVALUATE_FLAGS,
  targets: { evaluate: EVALUATE_FIELDS },
  examples: [
    [
      '$0 evaluate --model runs/sfa --data data/shortcut-correlated --decorrelated data/shortcut-decorrelated --cue-conflict data/cue --out eval/sfa',
      '',
    ],
  ],
  run: runEvaluate,
});
