/** Self-contained SVG plots for the report (no plotting dependency, no network). */

export const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
];
export const colourOf = (i: number) => PALETTE[i % PALETTE.length]!;

/**
 * Round axis ticks covering `values` (and `pad` of their span): a step of 1, 2, 2.5 or 5 × 10^k
 * giving about `count` intervals, the axis ends on ticks.
 */
export function niceTicks(values: number[], count = 5, pad = 0.05): number[] {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length > 0 ? Math.min(...finite) : 0;
  let hi = finite.length > 0 ? Math.max(...finite) : 1;
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const p = (hi - lo) * pad;
  lo -= p;
  hi += p;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let t = start; t < hi + step - 1e-9; t += step) ticks.push(+t.toPrecision(12));
  return ticks;
}

/** Tick labels with as many decimals as the step needs (0.25 → 2, 0.2 → 1, 5 → 0). */
function tickLabel(v: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  let d = 0;
  while (d < 6 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-9 * 10 ** d) d++;
  return v.toFixed(d);
}

type Ci = [number, number] | null | undefined;

/**
 * Fig. 1b of the seed paper: one labelled point per model, accuracy (x) against alignment (y),
 * with 95 % interval bars on both axes where known.
 */
export function scatterSvg(opts: {
  points: { name: string; x: number; y: number; xci?: Ci; yci?: Ci }[];
  xLabel: string;
  yLabel: string;
  title: string;
  id?: string;
}): string {
  const W = 640;
  const H = 420;
  const m = { l: 70, r: 30, t: 40, b: 56 };
  const pts = opts.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xt = niceTicks([...pts.flatMap((p) => [p.x, ...(p.xci ?? [])]), 0, 1], 5, 0);
  const yt = niceTicks([...pts.flatMap((p) => [p.y, ...(p.yci ?? [])]), 0]);
  const [x0, x1] = [xt[0]!, xt[xt.length - 1]!];
  const [y0, y1] = [yt[0]!, yt[yt.length - 1]!];
  const X = (v: number) => m.l + ((v - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (v: number) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg"${opts.id ? ` id="${esc(opts.id)}"` : ''} width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`,
  ];
  for (const vx of xt) {
    parts.push(
      `<line x1="${X(vx).toFixed(1)}" x2="${X(vx).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>`,
      `<text x="${X(vx).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${tickLabel(vx, xt)}</text>`,
    );
  }
  for (const vy of yt) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(vy).toFixed(1)}" y2="${Y(vy).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${m.l - 6}" y="${(Y(vy) + 4).toFixed(1)}" text-anchor="end">${tickLabel(vy, yt)}</text>`,
    );
  }
  if (y0 < 0 && y1 > 0) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(0).toFixed(1)}" y2="${Y(0).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/>`,
    );
  }
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 14}" text-anchor="middle">${esc(opts.xLabel)}</text>`,
    `<text transform="translate(18 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`,
  );
  opts.points.forEach((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) return;
    const c = colourOf(i);
    if (p.xci) {
      parts.push(
        `<line class="errorbar" x1="${X(p.xci[0]).toFixed(1)}" x2="${X(p.xci[1]).toFixed(1)}" y1="${Y(p.y).toFixed(1)}" y2="${Y(p.y).toFixed(1)}" stroke="${c}" stroke-width="2"/>`,
      );
    }
    if (p.yci) {
      parts.push(
        `<line class="errorbar" x1="${X(p.x).toFixed(1)}" x2="${X(p.x).toFixed(1)}" y1="${Y(p.yci[0]).toFixed(1)}" y2="${Y(p.yci[1]).toFixed(1)}" stroke="${c}" stroke-width="2"/>`,
      );
    }
    parts.push(
      `<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="7" fill="${c}" stroke="#222"><title>${esc(p.name)}: ${p.x.toFixed(3)}, ${p.y.toFixed(3)}</title></circle>`,
      // Labels near the right edge go on the point's left, so they stay inside the plot.
      X(p.x) > W - m.r - 140
        ? `<text x="${(X(p.x) - 10).toFixed(1)}" y="${(Y(p.y) - 8).toFixed(1)}" text-anchor="end">${esc(p.name)}</text>`
        : `<text x="${(X(p.x) + 10).toFixed(1)}" y="${(Y(p.y) - 8).toFixed(1)}">${esc(p.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Grouped bars: one group per model, one bar per series, 95 % whiskers; nulls are left out. */
export function barsSvg(opts: {
  groups: { name: string; values: (number | null)[]; cis?: Ci[] }[];
  series: string[];
  title: string;
  yLabel: string;
  yRange?: [number, number];
}): string {
  const W = 640;
  const H = 320;
  const m = { l: 60, r: 20, t: 40, b: 60 };
  const all = opts.groups.flatMap((g) => [
    ...g.values.filter((v): v is number => v !== null),
    ...(g.cis ?? []).flatMap((c) => c ?? []),
  ]);
  const ticks = niceTicks([...all, ...(opts.yRange ?? []), 0], 4, 0);
  const [y0, y1] = [ticks[0]!, ticks[ticks.length - 1]!];
  const Y = (v: number) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
  const gw = (W - m.l - m.r) / Math.max(1, opts.groups.length);
  const bw = (gw * 0.8) / Math.max(1, opts.series.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`,
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`,
  ];
  for (const v of ticks) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${m.l - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${tickLabel(v, ticks)}</text>`,
    );
  }
  opts.groups.forEach((g, gi) => {
    const gx = m.l + gi * gw + gw * 0.1;
    g.values.forEach((v, si) => {
      if (v === null || !Number.isFinite(v)) return;
      const base = Y(Math.min(y1, Math.max(y0, 0)));
      const y = Math.min(base, Y(v));
      const h = Math.abs(base - Y(v));
      parts.push(
        `<rect x="${(gx + si * bw).toFixed(1)}" y="${y.toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${colourOf(si)}"><title>${esc(g.name)} ${esc(opts.series[si] ?? '')}: ${v.toFixed(3)}</title></rect>`,
      );
      const ci = g.cis?.[si];
      if (ci) {
        const cx = gx + si * bw + (bw - 2) / 2;
        parts.push(
          `<path class="whisker" d="M${cx.toFixed(1)} ${Y(ci[0]).toFixed(1)}V${Y(ci[1]).toFixed(1)}M${(cx - 4).toFixed(1)} ${Y(ci[0]).toFixed(1)}h8M${(cx - 4).toFixed(1)} ${Y(ci[1]).toFixed(1)}h8" stroke="#222" fill="none"/>`,
        );
      }
    });
    parts.push(
      `<text x="${(gx + gw * 0.4).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${esc(g.name)}</text>`,
    );
  });
  opts.series.forEach((s, si) => {
    const x = m.l + si * 150;
    parts.push(
      `<rect x="${x}" y="${H - 22}" width="12" height="12" fill="${colourOf(si)}"/>`,
      `<text x="${x + 16}" y="${H - 12}">${esc(s)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
