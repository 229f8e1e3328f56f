/** A self-contained SVG loss curve (no plotting dependency): loss against step, log-scaled y. */
export function lossCurveSvg(points: { step: number; loss: number }[], title: string): string {
  const W = 640;
  const H = 360;
  const m = { l: 64, r: 16, t: 32, b: 40 };
  const pts = points.filter((p) => Number.isFinite(p.loss) && p.loss > 0);
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`;
  if (pts.length === 0)
    return `${head}\n<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no positive losses yet</text>\n</svg>\n`;
  const s0 = pts[0]!.step;
  const s1 = Math.max(s0 + 1, pts[pts.length - 1]!.step);
  const logs = pts.map((p) => Math.log10(p.loss));
  let y0 = Math.min(...logs);
  let y1 = Math.max(...logs);
  if (y1 - y0 < 1e-6) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const x = (s: number) => m.l + ((s - s0) / (s1 - s0)) * (W - m.l - m.r);
  const y = (v: number) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
  const line = pts.map((p, i) => `${x(p.step).toFixed(1)},${y(logs[i]!).toFixed(1)}`).join(' ');
  const ticks: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = y0 + ((y1 - y0) * k) / 4;
    ticks.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${(10 ** v).toPrecision(3)}</text>`,
    );
  }
  return `${head}
${ticks.join('\n')}
<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${line}"/>
<text x="${m.l}" y="${H - 12}">step ${s0}</text>
<text x="${W - m.r}" y="${H - 12}" text-anchor="end">step ${s1}</text>
<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">loss (log scale)</text>
</svg>
`;
}
