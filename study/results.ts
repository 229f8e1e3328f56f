/**
 * `results.md`: the study's written result — the table with intervals, the figures (SVG files
 * beside it), and one paragraph per question saying what the intervals support and what they do
 * not. Sentences are derived from the intervals only, never from point estimates alone.
 */
import type { CompareRow, MetricKey } from '../evaluation/index.ts';
import { barsSvg, scatterSvg } from '../evaluation/index.ts';
import { stepFactor } from '../demo/index.ts';
import type { ObjectFraction } from './framing.ts';

type Ci = [number, number];

export interface ResultsInput {
  command: string;
  date: string;
  scale: string;
  smoke: boolean;
  diet: string;
  seeds: number;
  steps: number;
  /** Blur-pool in the shared encoder (not PredNet's). */
  antialias: boolean;
  size: number;
  sequences: { diet: number; evaluation: number; cueConflict: number };
  machine: string;
  backend: string;
  categories: string[];
  framing: string;
  objectFraction: ObjectFraction;
  rows: CompareRow[];
}

export interface ResultsOutput {
  markdown: string;
  figures: Record<string, string>;
}

const f3 = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3);
const ci = (r: CompareRow, k: MetricKey): Ci | null => (r.ci[k] as Ci | null | undefined) ?? null;
const cell = (r: CompareRow, k: MetricKey) => {
  const c = ci(r, k);
  return r[k] === null ? '—' : `${f3(r[k])}${c ? ` [${f3(c[0])}, ${f3(c[1])}]` : ''}`;
};
/**
 * A zero-width interval (every seed gave the same value, as small held-out sets do) says nothing
 * about uncertainty, so it supports no claim.
 */
const real = (c: Ci | null): c is Ci => c !== null && c[1] > c[0];
const above = (c: Ci | null, v: number) => real(c) && c[0] > v;
const below = (c: Ci | null, v: number) => real(c) && c[1] < v;
const apart = (a: Ci | null, b: Ci | null) => real(a) && real(b) && (a[0] > b[1] || b[0] > a[1]);

/** Rows with a figure, best first. */
const ranked = (rows: CompareRow[], k: MetricKey) =>
  rows.filter((r) => r[k] !== null).sort((a, b) => (b[k] as number) - (a[k] as number));

/** "A's interval lies above B's, C's" / "overlaps D's" for the best row against the rest. */
function leaderSentence(rows: CompareRow[], k: MetricKey, what: string): string {
  const r = ranked(rows, k);
  if (r.length < 2) return `Fewer than two models have ${what}; nothing to compare.`;
  const top = r[0]!;
  const clear = r.slice(1).filter((x) => apart(ci(top, k), ci(x, k)));
  const tied = r.slice(1).filter((x) => !apart(ci(top, k), ci(x, k)));
  const parts = [`${top.name} has the highest ${what} (${cell(top, k)}).`];
  if (clear.length)
    parts.push(
      `Its interval lies clear of ${clear.map((x) => x.name).join(', ')}: that difference is supported.`,
    );
  if (tied.length)
    parts.push(
      `It is not clear of ${tied.map((x) => `${x.name} (${cell(x, k)})`).join(', ')}: these data do not order ${tied.length > 1 ? 'those' : 'that'} against it.`,
    );
  return parts.join(' ');
}

function markdownTable(rows: CompareRow[]): string {
  const cols: [MetricKey, string][] = [
    ['probe_top1', 'probe top-1 (correlated fit)'],
    ['decorrelated_probe_top1', 'top-1, probe fit on decorrelated'],
    ['decorrelated_top1', 'decorrelated top-1 (correlated fit)'],
    ['shortcut_drop', 'shortcut drop'],
    ['alignment_rho', 'part ρ'],
    ['shape_bias', 'shape bias'],
    ['shape_coverage', 'coverage'],
    ['slowness_delta', 'held-out Δ'],
  ];
  const head = `| model | seeds | features | ${cols.map((c) => c[1]).join(' | ')} |`;
  const sep = `|${' --- |'.repeat(cols.length + 3)}`;
  const body = rows.map(
    (r) =>
      `| ${r.name} | ${r.seeds} | ${r.feature_dim} | ${cols.map(([k]) => cell(r, k)).join(' | ')} |`,
  );
  return [head, sep, ...body].join('\n');
}

export function studyResults(o: ResultsInput): ResultsOutput {
  const rows = o.rows;
  const chance = 1 / Math.max(1, o.categories.length);
  const figures: Record<string, string> = {
    'accuracy-alignment.svg': scatterSvg({
      title: 'Accuracy vs alignment (Fig. 1b on our data; 95 % intervals across seeds)',
      xLabel: 'probe top-1 (held-out, probe fitted on the correlated split)',
      yLabel: 'alignment with diagnostic-part maps (Spearman ρ)',
      points: rows
        .filter((r) => r.probe_top1 !== null && r.alignment_rho !== null)
        .map((r) => ({
          name: r.name,
          x: r.probe_top1!,
          y: r.alignment_rho!,
          xci: ci(r, 'probe_top1') ?? undefined,
          yci: ci(r, 'alignment_rho') ?? undefined,
        })),
    }),
    'shortcut.svg': barsSvg({
      title: 'Objects or ground? Top-1 by probe and test split',
      yLabel: 'top-1 (held-out)',
      series: [
        'correlated fit, correlated test',
        'correlated fit, decorrelated test',
        'decorrelated fit and test',
      ],
      yRange: [0, 1],
      groups: rows.map((r) => ({
        name: r.name,
        values: [r.probe_top1, r.decorrelated_top1, r.decorrelated_probe_top1],
        cis: [ci(r, 'probe_top1'), ci(r, 'decorrelated_top1'), ci(r, 'decorrelated_probe_top1')],
      })),
    }),
    'shape-bias.svg': barsSvg({
      title: 'Shape bias on cue-conflict images (probe fitted on the decorrelated split)',
      yLabel: 'shape / (shape + texture)',
      series: ['shape bias', 'coverage'],
      yRange: [0, 1],
      groups: rows.map((r) => ({
        name: r.name,
        values: [r.shape_bias, r.shape_coverage],
        cis: [ci(r, 'shape_bias'), ci(r, 'shape_coverage')],
      })),
    }),
  };

  const decodable = rows.filter((r) => above(ci(r, 'decorrelated_probe_top1'), chance));
  const atChance = rows.filter(
    (r) => r.decorrelated_probe_top1 !== null && !above(ci(r, 'decorrelated_probe_top1'), chance),
  );
  const dropping = rows.filter((r) => above(ci(r, 'shortcut_drop'), 0));
  const shapeSide = rows.filter((r) => above(ci(r, 'shape_bias'), 0.5));
  const textureSide = rows.filter((r) => below(ci(r, 'shape_bias'), 0.5));
  const list = (rs: CompareRow[]) => (rs.length ? rs.map((r) => r.name).join(', ') : 'none');
  const fr = o.objectFraction;

  const md = [
    `# datadiet study — ${o.diet}, ${o.scale} scale${o.smoke ? ' (SMOKE RUN: not a result)' : ''}`,
    '',
    o.smoke
      ? '> **Smoke run.** The `tiny` scale checks that the pipeline runs end to end; its models train for a few steps on a dozen sequences and its numbers answer none of the questions below. Run the default scale for a result.\n'
      : '',
    `- Command: \`${o.command}\``,
    `- Date: ${o.date}; machine: ${o.machine}; training backend: ${o.backend}`,
    `- Diet: \`${o.diet}\`, ${o.sequences.diet} sequences at ${o.size}²; ${o.seeds} training seed(s) per objective; ${o.steps} steps per gradient-trained run (PredNet ${o.steps * stepFactor('prednet')}, as in the demo; sfa-linear: one closed-form fit); shared encoder ${o.antialias ? 'blur-pooled (`--antialias`; PredNet has its own)' : 'with strided convs (no `--antialias`)'}`,
    `- Evaluation: probe and decorrelated splits ${o.sequences.evaluation} sequences each, cue-conflict ${o.sequences.cueConflict}; ${o.categories.length} categories (chance top-1 ${f3(chance)})`,
    `- Framing: ${o.framing}. Object pixel fraction in the evaluated frames (probe split): mean ${f3(fr.mean)}, median ${f3(fr.median)}, 10–90 % ${f3(fr.p10)}–${f3(fr.p90)}; ${fr.empty} of ${fr.sequences} frames show no object.`,
    '- Intervals: 95 %; for rows pooling several seeds, mean ± Student-t across seeds (so they include seed-to-seed variation); for a single run, a seeded bootstrap over held-out images. A zero-width interval (every seed gave the same value) supports no claim below.',
    '',
    '## Table',
    '',
    markdownTable(rows),
    '',
    '## Figures',
    '',
    '![Accuracy vs alignment](figures/accuracy-alignment.svg)',
    '',
    '![Objects or ground](figures/shortcut.svg)',
    '',
    '![Shape bias](figures/shape-bias.svg)',
    '',
    '## Questions',
    '',
    '**Do the models represent the objects, or the ground?** Answered by the top-1 of a probe fitted _and_ tested on the decorrelated split, where ground is independent of category: for a label-free encoder the probe’s training data, not the encoder, decides whether the ground is used, so the correlated-probe top-1 cannot answer this. ' +
      `Interval above chance (${f3(chance)}): ${list(decodable)}. Not shown above chance: ${list(atChance)} — for these the data do not show that the objects are decodable at all, and their alignment figures below describe saliency of a readout that may not see the object.`,
    '',
    '**Which objective is most aligned with the diagnostic parts?** Answered by part ρ (Spearman between the probe’s saliency and the blurred part maps, held-out images). ' +
      leaderSentence(rows, 'alignment_rho', 'part ρ'),
    '',
    '**Does accuracy trade off against alignment (the seed paper’s Fig. 1b)?** ' +
      `With ${rows.length} points, one per objective, a trend across objectives cannot be established from these data whatever its sign; the figure shows where each objective sits with its intervals. ` +
      leaderSentence(rows, 'probe_top1', 'probe top-1 (correlated fit)'),
    '',
    '**How much does each model rely on the background shortcut?** Answered by the drop from correlated to decorrelated test images for the probe fitted on the correlated split. ' +
      `Drop interval above 0 (reliance supported): ${list(dropping)}. ` +
      leaderSentence(rows, 'shortcut_drop', 'drop'),
    '',
    '**Shape or texture?** Answered by shape bias on cue-conflict images with the probe fitted on the decorrelated split, read with its coverage (the share of images decided by shape or texture at all). ' +
      `Interval above 0.5 (shape-biased): ${list(shapeSide)}; below 0.5 (texture-biased): ${list(textureSide)}; the rest are not separated from 0.5 by these data.`,
    '',
    '## What would change the conclusion',
    '',
    `- More seeds narrow the across-seed intervals (this one's t interval has ${o.seeds - 1} degree(s) of freedom); rows whose intervals overlap here may separate.`,
    '- Longer training, other objective defaults, or a diet with more visible motion change what the self-supervised models learn; the study must be rerun when the objectives or the protocol change.',
    '- Larger objects in frame (see the pixel fraction) or a different readout (SmoothGrad, anti-aliased downsampling) change what part ρ can measure.',
    '',
  ]
    .filter((l, i, a) => !(l === '' && a[i - 1] === ''))
    .join('\n');
  return { markdown: md, figures };
}
