/**
 * The comparison report: one self-contained HTML page (inline SVG, PNGs as data URIs, no scripts,
 * no network) with the Fig.-1b scatter, the table, shortcut and shape-bias bars, saliency
 * galleries, training curves and next-frame predictions.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { lossCurveSvg, readRunMetrics } from '../training/index.ts';
import type { EvalMetrics } from './metrics.ts';
import { overlaps } from './bootstrap.ts';
import { barsSvg, esc, scatterSvg } from './plots.ts';
import { cell, COLUMNS, type CompareRow, type MetricKey } from './table.ts';

export interface ReportModel {
  row: CompareRow;
  metrics: EvalMetrics;
  /** Folder holding this model's metrics.json and figures (the first run of a pooled row). */
  dir: string;
  /** The rows of the runs pooled into `row` (empty for a single run). */
  runs: CompareRow[];
}

async function pngUri(path: string): Promise<string | null> {
  try {
    return `data:image/png;base64,${(await readFile(path)).toString('base64')}`;
  } catch {
    return null;
  }
}

async function trainingCurve(m: EvalMetrics): Promise<string | null> {
  if (m.model.kind !== 'run') return null;
  // model.path is RUN/checkpoints/step-N.
  const runDir = dirname(dirname(m.model.path));
  const points = await readRunMetrics(runDir).catch(() => []);
  if (points.length === 0) return null;
  return lossCurveSvg(points, `${m.model.name} (${m.model.objective ?? 'run'}) training loss`);
}

const list = (items: string[]) =>
  items.length > 0
    ? `<ul class="note">${items.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`
    : '';

const fmt = (v: unknown) =>
  typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(3) : '—') : v == null ? '—' : String(v);

/** The scatter's y: ClickMe ceiling-normalised ρ when every model has it, else the part-map ρ. */
export function alignmentAxis(models: ReportModel[]): {
  label: string;
  key: MetricKey;
  value: (r: CompareRow) => number;
} {
  if (models.length > 0 && models.every((m) => m.row.clickme_rho_normalised !== null)) {
    return {
      label: 'ClickMe alignment (Spearman ρ / 0.65753)',
      key: 'clickme_rho_normalised',
      value: (r) => r.clickme_rho_normalised ?? NaN,
    };
  }
  return {
    label: 'alignment with diagnostic-part maps (mean Spearman ρ)',
    key: 'alignment_rho',
    value: (r) => r.alignment_rho ?? NaN,
  };
}

/**
 * For each pair of models, whether their 95 % intervals of a figure overlap — in words, so a
 * reader does not take a difference inside the noise for a finding.
 */
export function overlapSentences(rows: CompareRow[], key: MetricKey, label: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      const a = rows[i]!;
      const b = rows[j]!;
      const ca = a.ci[key];
      const cb = b.ci[key];
      if (a[key] === null || b[key] === null || !ca || !cb) continue;
      out.push(
        overlaps(ca, cb)
          ? `${a.name} and ${b.name}: the 95 % intervals of ${label} overlap (${cell(a, key)} vs ${cell(b, key)}), so these data do not separate them.`
          : `${a.name} and ${b.name}: the 95 % intervals of ${label} do not overlap (${cell(a, key)} vs ${cell(b, key)}).`,
      );
    }
  }
  return out;
}

export async function reportHtml(opts: {
  title: string;
  models: ReportModel[];
  inputs: {
    data: string;
    decorrelated?: string | undefined;
    cueConflict?: string | undefined;
    clickme?: string | undefined;
    seed: number;
  };
}): Promise<string> {
  const { models } = opts;
  const axis = alignmentAxis(models);
  const scatter = scatterSvg({
    id: 'scatter',
    title: 'Accuracy vs human alignment (one point per model)',
    xLabel: 'linear-probe top-1 accuracy (held-out)',
    yLabel: axis.label,
    points: models.map((m) => ({
      name: m.row.name,
      x: m.row.probe_top1 ?? NaN,
      y: axis.value(m.row),
      xci: m.row.ci.probe_top1,
      yci: m.row.ci[axis.key],
    })),
  });
  const words = [
    ...overlapSentences(
      models.map((m) => m.row),
      'probe_top1',
      'probe top-1',
    ),
    ...overlapSentences(
      models.map((m) => m.row),
      axis.key,
      axis.label,
    ),
  ];
  const pooled = models.filter((m) => m.runs.length > 1);
  const sections: string[] = [];
  sections.push(`<section><h2>Accuracy vs alignment</h2><figure>${scatter}</figure>
<p class="note">Every model is read out the same way: x is the top-1 of a ridge probe on frozen features (α by inner cross-validation on the fit split; seeded split, held-out part); y: ${esc(axis.label)}, with saliency |∂ logit<sub>true</sub> / ∂ input| of that probe, max over colour channels. Bars: 95 % intervals (seeded bootstrap over held-out images; across training seeds, mean ± Student-t, for rows that pool runs). A model’s own head is in its own columns only.${
    models.some((m) => m.metrics.clickme)
      ? ' ClickMe: the probe is fitted on the other (stratified) folds’ ClickMe images, so no image is explained by a head that saw it; images whose class is missing from their fit folds are left out and counted.'
      : ''
  }${pooled.length > 0 ? ` Pooled over seeds: ${pooled.map((m) => `${esc(m.row.name)} (${m.runs.length} runs)`).join(', ')}.` : ''}</p>
${words.length > 0 ? `<ul class="note">${words.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}</section>`);

  const cols = COLUMNS.filter((c) => models.some((m) => m.row[c.key] !== null));
  const head = ['model', 'kind', 'objective', 'seeds', 'features', 'pooling', 'ridge α']
    .concat(cols.map((c) => c.header))
    .map((h) => `<th>${esc(h)}</th>`)
    .join('');
  const rowHtml = (r: CompareRow) =>
    `<tr>${[r.name, r.kind, r.objective, r.seeds, r.feature_dim, r.pooling, r.probe_alpha]
      .map((v) => `<td>${esc(fmt(v))}</td>`)
      .concat(cols.map((c) => `<td>${esc(cell(r, c.key))}</td>`))
      .join('')}</tr>`;
  const body = models.map((m) => rowHtml(m.row)).join('\n');
  const runRows = models
    .flatMap((m) => m.runs)
    .map(rowHtml)
    .join('\n');
  sections.push(
    `<section><h2>Table</h2><p class="note">Each cell: value [95 % interval].</p><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${
      runRows
        ? `<h3>Runs pooled above</h3><table><thead><tr>${head}</tr></thead><tbody>${runRows}</tbody></table>`
        : ''
    }</section>`,
  );

  if (models.some((m) => m.row.decorrelated_top1 !== null)) {
    sections.push(
      `<section><h2>Shortcut reliance</h2>${barsSvg({
        title: 'Probe top-1: correlated background (held-out) vs decorrelated',
        yLabel: 'top-1',
        series: ['correlated', 'decorrelated', 'drop'],
        yRange: [Math.min(0, ...models.map((m) => m.row.shortcut_drop ?? 0)), 1],
        groups: models.map((m) => ({
          name: m.row.name,
          values: [m.row.probe_top1, m.row.decorrelated_top1, m.row.shortcut_drop],
          cis: [m.row.ci.probe_top1, m.row.ci.decorrelated_top1, m.row.ci.shortcut_drop],
        })),
      })}${list(
        overlapSentences(
          models.map((m) => m.row),
          'shortcut_drop',
          'the accuracy drop',
        ),
      )}</section>`,
    );
  }
  if (models.some((m) => m.row.shape_bias !== null)) {
    sections.push(
      `<section><h2>Shape bias</h2>${barsSvg({
        title: 'Shape bias on cue-conflict renders: shape / (shape + texture)',
        yLabel: 'shape bias, coverage',
        series: ['shape bias', 'coverage'],
        yRange: [0, 1],
        groups: models.map((m) => ({
          name: m.row.name,
          values: [m.row.shape_bias, m.row.shape_coverage],
          cis: [m.row.ci.shape_bias, m.row.ci.shape_coverage],
        })),
      })}<p class="note">Coverage: (shape + texture decisions) / cue-conflict images — how many guesses the bias rests on. ${
        models.some((m) => m.metrics.shape_bias?.probe_fit === 'decorrelated')
          ? 'The probe for shape bias is fitted on the decorrelated split, where the background is random, so the background cannot decide it.'
          : 'The probe for shape bias is fitted on --data (no decorrelated split given), where the background may carry the category.'
      }</p>${list(
        overlapSentences(
          models.map((m) => m.row),
          'shape_bias',
          'shape bias',
        ),
      )}</section>`,
    );
  }

  const gallery: string[] = [];
  for (const m of models) {
    const imgs: string[] = [];
    for (const f of m.metrics.files.saliency) {
      const uri = await pngUri(join(m.dir, f));
      if (uri) imgs.push(`<img alt="${esc(`${m.row.name} ${f}`)}" src="${uri}">`);
    }
    if (imgs.length > 0) gallery.push(`<h3>${esc(m.row.name)}</h3>${imgs.join('\n')}`);
  }
  if (gallery.length > 0) {
    sections.push(
      `<section><h2>Saliency</h2><p class="note">Each row: image | saliency | overlay | reference (blurred diagnostic-part map or human ClickMe map).</p>${gallery.join('\n')}</section>`,
    );
  }

  const curves: string[] = [];
  for (const m of models) {
    const svg = await trainingCurve(m.metrics);
    if (svg) curves.push(`<figure>${svg}</figure>`);
  }
  if (curves.length > 0)
    sections.push(`<section><h2>Training curves</h2>${curves.join('\n')}</section>`);

  const preds: string[] = [];
  for (const m of models) {
    const p = m.metrics.prediction;
    for (const f of m.metrics.files.prediction) {
      const uri = await pngUri(join(m.dir, f));
      if (uri && p) {
        preds.push(
          `<h3>${esc(m.row.name)}</h3><p>next-frame MSE ${p.mse.toFixed(4)} vs copy-last ${p.copy_last_mse.toFixed(4)}; SSIM (${esc(p.ssim_window)}) ${p.ssim.toFixed(3)} vs ${p.copy_last_ssim.toFixed(3)}. MSE per step t = 1…${p.mse_per_t.length} (t = 1 from a single frame): ${p.mse_per_t.map((v) => v.toFixed(4)).join(', ')}; copy-last ${p.copy_last_mse_per_t.map((v) => v.toFixed(4)).join(', ')}. Each row: last input frame | prediction | target.</p><img alt="${esc(`${m.row.name} prediction`)}" src="${uri}">`,
        );
      }
    }
  }
  if (preds.length > 0)
    sections.push(`<section><h2>Next-frame prediction</h2>${preds.join('\n')}</section>`);

  const inputs = [
    `data: ${opts.inputs.data}`,
    opts.inputs.decorrelated ? `decorrelated: ${opts.inputs.decorrelated}` : '',
    opts.inputs.cueConflict ? `cue-conflict: ${opts.inputs.cueConflict}` : '',
    opts.inputs.clickme ? `ClickMe: ${opts.inputs.clickme}` : '',
    `seed: ${opts.inputs.seed}`,
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(opts.title)}</title>
<style>
body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f4f4f4}td:first-child{text-align:left}.note{color:#555;font-size:13px}
img{image-rendering:pixelated;max-width:100%;border:1px solid #ddd;margin:4px}figure{margin:0}
</style></head><body>
<h1>${esc(opts.title)}</h1>
<p class="note">${inputs.map(esc).join(' · ')}</p>
${sections.join('\n')}
</body></html>
`;
}
