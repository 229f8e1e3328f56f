/**
 * One row per model in `datadiet compare` (runs given the same name — seeds of one recipe — pooled
 * into one row): terminal table, CSV and JSON share these columns. Every figure carries a 95 %
 * interval: the seeded bootstrap of its evaluation for a single run, mean ± Student-t across
 * seeds for a pooled row. The model's own head has its own columns, never the main ones.
 */
import { acrossSeeds, type Interval } from './bootstrap.ts';
import type { EvalMetrics } from './metrics.ts';

type V = { value: number | null; ci: Interval | null };
const v = (value: number | null | undefined, ci?: Interval | null): V => ({
  value: value ?? null,
  ci: ci ?? null,
});

/** The figures, in column order, each read from metrics.json with its interval. */
export const METRICS = [
  { key: 'probe_top1', header: 'probe top-1', get: (m) => v(m.probe.top1, m.probe.top1_ci) },
  {
    key: 'alignment_rho',
    header: 'part ρ',
    get: (m) => v(m.alignment.spearman, m.alignment.spearman_ci),
  },
  { key: 'alignment_dice', header: 'dice', get: (m) => v(m.alignment.dice, m.alignment.dice_ci) },
  { key: 'alignment_iou', header: 'iou', get: (m) => v(m.alignment.iou, m.alignment.iou_ci) },
  {
    key: 'decorrelated_top1',
    header: 'decorr top-1',
    get: (m) => v(m.shortcut?.decorrelated_top1, m.shortcut?.decorrelated_top1_ci),
  },
  {
    key: 'decorrelated_probe_top1',
    header: 'decorr-fit top-1',
    get: (m) => v(m.shortcut?.decorrelated_probe_top1, m.shortcut?.decorrelated_probe_top1_ci),
  },
  { key: 'shortcut_drop', header: 'drop', get: (m) => v(m.shortcut?.drop, m.shortcut?.drop_ci) },
  {
    key: 'shape_bias',
    header: 'shape bias',
    get: (m) => v(m.shape_bias?.value, m.shape_bias?.value_ci),
  },
  {
    key: 'shape_coverage',
    header: 'coverage',
    get: (m) => v(m.shape_bias?.coverage, m.shape_bias?.coverage_ci),
  },
  {
    key: 'slowness_delta',
    header: 'held-out Δ',
    get: (m) => v(m.slowness?.delta, m.slowness?.delta_ci),
  },
  {
    key: 'slowness_corr',
    header: '|corr|',
    get: (m) => v(m.slowness?.mean_abs_correlation, m.slowness?.mean_abs_correlation_ci),
  },
  {
    key: 'feature_std',
    header: 'feat std',
    get: (m) => v(m.slowness?.feature_std, m.slowness?.feature_std_ci),
  },
  {
    key: 'next_frame_mse',
    header: 'next MSE',
    get: (m) => v(m.prediction?.mse, m.prediction?.mse_ci),
  },
  {
    key: 'next_frame_mse_t1',
    header: 'MSE t=1',
    get: (m) => v(m.prediction?.mse_per_t[0]),
  },
  {
    key: 'copy_last_mse',
    header: 'copy MSE',
    get: (m) => v(m.prediction?.copy_last_mse, m.prediction?.copy_last_mse_ci),
  },
  {
    key: 'clickme_rho_normalised',
    header: 'ClickMe ρ/ceil',
    get: (m) => v(m.clickme?.spearman_normalised, m.clickme?.spearman_normalised_ci),
  },
  { key: 'own_top1', header: 'own top-1', get: (m) => v(m.own_head?.top1, m.own_head?.top1_ci) },
  {
    key: 'own_rho',
    header: 'own-head ρ',
    get: (m) => v(m.own_head?.spearman, m.own_head?.spearman_ci),
  },
  {
    key: 'clickme_own_rho_normalised',
    header: 'ClickMe own ρ/ceil',
    get: (m) =>
      v(m.clickme?.own_head?.spearman_normalised, m.clickme?.own_head?.spearman_normalised_ci),
  },
] as const satisfies readonly { key: string; header: string; get: (m: EvalMetrics) => V }[];

export type MetricKey = (typeof METRICS)[number]['key'];

export type CompareRow = {
  name: string;
  kind: 'run' | 'baseline';
  objective: string | null;
  /** Runs pooled into this row (training seeds of one recipe); 1 for a single run. */
  seeds: number;
  feature_dim: number;
  pooling: string;
  /** Ridge α chosen by inner CV (null when pooled runs chose different ones). */
  probe_alpha: number | null;
  /** 95 % interval of each figure: bootstrap (one run) or Student-t across seeds (pooled). */
  ci: Partial<Record<MetricKey, Interval | null>>;
} & Record<MetricKey, number | null>;

const DESCRIPTIVE = [
  'name',
  'kind',
  'objective',
  'seeds',
  'feature_dim',
  'pooling',
  'probe_alpha',
] as const;

export function rowOf(name: string, m: EvalMetrics): CompareRow {
  const row = {
    name,
    kind: m.model.kind,
    objective: m.model.objective ?? null,
    seeds: 1,
    feature_dim: m.model.feature_dim,
    pooling: m.model.pooling,
    probe_alpha: m.probe.alpha,
    ci: {},
  } as CompareRow;
  for (const c of METRICS) {
    const { value, ci } = c.get(m);
    row[c.key] = value !== null && Number.isFinite(value) ? value : null;
    row.ci[c.key] = ci;
  }
  return row;
}

/** One row for runs of one recipe: the mean of each figure with a Student-t interval over seeds. */
export function pooledRow(name: string, rows: CompareRow[]): CompareRow {
  const first = rows[0]!;
  if (rows.length === 1) return { ...first, name };
  const same = <T>(f: (r: CompareRow) => T) =>
    rows.every((r) => f(r) === f(first)) ? f(first) : null;
  const row = {
    name,
    kind: first.kind,
    objective: first.objective,
    seeds: rows.length,
    feature_dim: first.feature_dim,
    pooling: first.pooling,
    probe_alpha: same((r) => r.probe_alpha),
    ci: {},
  } as CompareRow;
  for (const c of METRICS) {
    const values = rows.map((r) => r[c.key]).filter((x): x is number => x !== null);
    if (values.length === 0) {
      row[c.key] = null;
      row.ci[c.key] = null;
      continue;
    }
    const s = acrossSeeds(values);
    row[c.key] = s.mean;
    row.ci[c.key] = s.interval;
  }
  return row;
}

// Errors such as next-frame MSE are often far below 0.001: three significant digits, not decimals.
const SMALL_VALUED: ReadonlySet<string> = new Set([
  'next_frame_mse',
  'next_frame_mse_t1',
  'copy_last_mse',
]);

const num = (x: number, key: string) => (SMALL_VALUED.has(key) ? x.toPrecision(3) : x.toFixed(3));

/** A cell: the value and, when known, its interval. */
export function cell(row: CompareRow, key: MetricKey): string {
  const x = row[key];
  if (x === null) return '—';
  const ci = row.ci[key];
  return ci ? `${num(x, key)} [${num(ci[0], key)}, ${num(ci[1], key)}]` : num(x, key);
}

/** Columns with at least one value, aligned for a terminal; intervals in brackets. */
export function formatTable(rows: CompareRow[]): string {
  const cols = METRICS.filter((c) => rows.some((r) => r[c.key] !== null));
  const cells = [
    ['model', 'seeds', 'features', ...cols.map((c) => c.header)],
    ...rows.map((r) => [
      r.name,
      String(r.seeds),
      `${r.feature_dim}`,
      ...cols.map((c) => cell(r, c.key)),
    ]),
  ];
  const widths = cells[0]!.map((_, j) => Math.max(...cells.map((row) => row[j]!.length)));
  const line = (row: string[]) =>
    row.map((x, j) => (j === 0 ? x.padEnd(widths[j]!) : x.padStart(widths[j]!))).join('  ');
  return [
    line(cells[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** CSV: the descriptive columns, then each figure followed by its `_lo` and `_hi`. */
export function toCsv(rows: CompareRow[]): string {
  const q = (x: unknown) => {
    const s = x === null || x === undefined ? '' : String(x);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const header = [...DESCRIPTIVE, ...METRICS.flatMap((c) => [c.key, `${c.key}_lo`, `${c.key}_hi`])];
  const lines = rows.map((r) =>
    [
      ...DESCRIPTIVE.map((k) => q(r[k])),
      ...METRICS.flatMap((c) => [
        q(r[c.key]),
        q(r.ci[c.key]?.[0] ?? null),
        q(r.ci[c.key]?.[1] ?? null),
      ]),
    ].join(','),
  );
  return `${[header.join(','), ...lines].join('\n')}\n`;
}

/** Column headers for the report's table. */
export const COLUMNS = METRICS.map(({ key, header }) => ({ key, header }));
