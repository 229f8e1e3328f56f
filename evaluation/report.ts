/**
 * The comparison report: one self-contained HTML page (inline SVG, PNGs as data URIs, no scripts,
 * no network) with the Fig.-1b scatter, the table, shortcut and shape-bias bars, saliency
 * galleries, training curves and next-frame predictions.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { lossCurveSvg, readRunMetrics } from '../training/index.ts';
import type { EvalMetrics } from './metrics.ts';
import { barsSvg, esc, scatterSvg } from './plots.ts';
import { COLUMNS, type CompareRow } from './table.ts';

export interface ReportModel {
  row: CompareRow;
  metrics: EvalMetrics;
  /** Folder holding this model's metrics.json and figures. */
  dir: string;
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

const fmt = (v: unknown) =>
  typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(3) : '—') : v == null ? '—' : String(v);

/** The scatter's y: ClickMe ceiling-normalised ρ when every model has it, else the part-map ρ. */
export function alignmentAxis(models: ReportModel[]): {
  label: string;
  value: (r: CompareRow) => number;
} {
  if (models.length > 0 && models.every((m) => m.row.clickme_rho_normalised !== null)) {
    return {
      label: 'ClickMe alignment (Spearman ρ / 0.65753)',
      value: (r) => r.clickme_rho_normalised ?? NaN,
    };
  }
  return {
    label: 'alignment with diagnostic-part maps (mean Spearman ρ)',
    value: (r) => r.alignment_rho,
  };
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
    points: models.map((m) => ({ name: m.row.name, x: m.row.probe_top1, y: axis.value(m.row) })),
  });
  const sections: string[] = [];
  sections.push(`<section><h2>Accuracy vs alignment</h2><figure>${scatter}</figure>
<p class="note">x: top-1 of a ridge probe on frozen features (seeded split, held-out part). y: ${esc(axis.label)}; saliency is |∂ logit<sub>true</sub> / ∂ input|, max over colour channels.${
    models.some((m) => m.metrics.clickme && m.metrics.clickme.folds > 0)
      ? ' ClickMe: models without an ImageNet head are scored through a k-fold linear probe fitted on the other folds’ ClickMe images (honest head, no image explained by a head that saw it).'
      : ''
  }</p></section>`);

  const head = COLUMNS.map((c) => `<th>${esc(c.header)}</th>`).join('');
  const body = models
    .map((m) => `<tr>${COLUMNS.map((c) => `<td>${esc(fmt(m.row[c.key]))}</td>`).join('')}</tr>`)
    .join('\n');
  sections.push(
    `<section><h2>Table</h2><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></section>`,
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
        })),
      })}</section>`,
    );
  }
  if (models.some((m) => m.row.shape_bias !== null)) {
    sections.push(
      `<section><h2>Shape bias</h2>${barsSvg({
        title: 'Shape bias on cue-conflict renders: shape / (shape + texture)',
        yLabel: 'shape bias',
        series: ['shape bias'],
        yRange: [0, 1],
        groups: models.map((m) => ({ name: m.row.name, values: [m.row.shape_bias] })),
      })}</section>`,
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
          `<h3>${esc(m.row.name)}</h3><p>next-frame MSE ${p.mse.toFixed(4)} vs copy-last ${p.copy_last_mse.toFixed(4)}; SSIM ${p.ssim.toFixed(3)} vs ${p.copy_last_ssim.toFixed(3)}. Each row: last input frame | prediction | target.</p><img alt="${esc(`${m.row.name} prediction`)}" src="${uri}">`,
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
