/** One row per model in `datadiet compare`: terminal table, CSV and JSON share these columns. */
import type { EvalMetrics } from './metrics.ts';

export interface CompareRow {
  name: string;
  kind: 'run' | 'baseline';
  objective: string | null;
  probe_top1: number;
  alignment_rho: number;
  alignment_dice: number;
  alignment_iou: number;
  decorrelated_top1: number | null;
  shortcut_drop: number | null;
  shape_bias: number | null;
  next_frame_mse: number | null;
  copy_last_mse: number | null;
  clickme_rho_normalised: number | null;
}

export const COLUMNS: { key: keyof CompareRow; header: string }[] = [
  { key: 'name', header: 'model' },
  { key: 'kind', header: 'kind' },
  { key: 'objective', header: 'objective' },
  { key: 'probe_top1', header: 'probe top-1' },
  { key: 'alignment_rho', header: 'part ρ' },
  { key: 'alignment_dice', header: 'dice' },
  { key: 'alignment_iou', header: 'iou' },
  { key: 'decorrelated_top1', header: 'decorr top-1' },
  { key: 'shortcut_drop', header: 'drop' },
  { key: 'shape_bias', header: 'shape bias' },
  { key: 'next_frame_mse', header: 'next MSE' },
  { key: 'copy_last_mse', header: 'copy MSE' },
  { key: 'clickme_rho_normalised', header: 'ClickMe ρ/ceil' },
];

export function rowOf(name: string, m: EvalMetrics): CompareRow {
  return {
    name,
    kind: m.model.kind,
    objective: m.model.objective ?? null,
    probe_top1: m.probe.top1,
    alignment_rho: m.alignment.spearman,
    alignment_dice: m.alignment.dice,
    alignment_iou: m.alignment.iou,
    decorrelated_top1: m.shortcut?.decorrelated_top1 ?? null,
    shortcut_drop: m.shortcut?.drop ?? null,
    shape_bias: m.shape_bias?.value ?? null,
    next_frame_mse: m.prediction?.mse ?? null,
    copy_last_mse: m.prediction?.copy_last_mse ?? null,
    clickme_rho_normalised: m.clickme?.spearman_normalised ?? null,
  };
}

// Errors such as next-frame MSE are often far below 0.001: three significant digits, not decimals.
const SMALL_VALUED: ReadonlySet<keyof CompareRow> = new Set(['next_frame_mse', 'copy_last_mse']);

const cell = (v: unknown, key: keyof CompareRow) =>
  typeof v === 'number'
    ? SMALL_VALUED.has(key)
      ? v.toPrecision(3)
      : v.toFixed(3)
    : v === null || v === undefined
      ? '—'
      : String(v);

/** Columns with at least one value, aligned for a terminal. */
export function formatTable(rows: CompareRow[]): string {
  const cols = COLUMNS.filter((c) => rows.some((r) => r[c.key] !== null));
  const cells = [
    cols.map((c) => c.header),
    ...rows.map((r) => cols.map((c) => cell(r[c.key], c.key))),
  ];
  const widths = cols.map((_, j) => Math.max(...cells.map((row) => row[j]!.length)));
  const line = (row: string[]) =>
    row.map((v, j) => (j === 0 ? v.padEnd(widths[j]!) : v.padStart(widths[j]!))).join('  ');
  return [
    line(cells[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

export function toCsv(rows: CompareRow[]): string {
  const q = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[COLUMNS.map((c) => c.key).join(','), ...rows.map((r) => COLUMNS.map((c) => q(r[c.key])).join(','))].join('\n')}\n`;
}
