/**
 * Line charts as inline SVG, for a report that opens offline in any browser: linear or log y axis,
 * "nice" ticks, a legend, and horizontal reference lines for the objectives.
 */

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly dashed?: boolean;
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly yLog?: boolean;
  /** Start the x axis here (e.g. 0) rather than at the first point. */
  readonly xMin?: number;
  readonly references?: ReadonlyArray<{ readonly y: number; readonly label: string; readonly color: string }>;
  /** A shaded x range (the measured window). */
  readonly band?: { readonly from: number; readonly to: number; readonly label: string };
  readonly width?: number;
  readonly height?: number;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= min * 0.999 && t <= max * 1.001) ticks.push(Number(t.toPrecision(12)));
    }
  }
  return ticks;
}

function label(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1_000_000) return `${value / 1_000_000}M`;
  if (abs >= 10_000) return `${value / 1000}k`;
  return String(Number(value.toPrecision(6)));
}

export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 920;
  const height = spec.height ?? 300;
  const m = { left: 64, right: 16, top: 34, bottom: 58 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const finite = (v: number) => Number.isFinite(v) && (!spec.yLog || v > 0);
  const points = spec.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && finite(y)));
  const refs = (spec.references ?? []).filter((r) => finite(r.y));
  const xs = points.map(([x]) => x);
  const ys = [...points.map(([, y]) => y), ...refs.map((r) => r.y)];
  let x0 = Math.min(...xs, spec.xMin ?? Infinity);
  let x1 = Math.max(...xs, -Infinity);
  if (!Number.isFinite(x0)) [x0, x1] = [0, 1];
  if (x1 === x0) x1 = x0 + 1;
  let y0: number;
  let y1: number;
  if (spec.yLog) {
    y0 = Math.min(...ys, Infinity);
    y1 = Math.max(...ys, -Infinity);
    if (!Number.isFinite(y0)) [y0, y1] = [1, 10];
    y0 = 10 ** Math.floor(Math.log10(y0));
    y1 = 10 ** Math.ceil(Math.log10(y1));
    if (y1 <= y0) y1 = y0 * 10;
  } else {
    y0 = 0;
    y1 = Math.max(...ys, 0) * 1.08 || 1;
  }
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = spec.yLog
    ? (y: number) =>
        m.top + plotH - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * plotH
    : (y: number) => m.top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${m.left}" y="18" font-size="14" font-weight="bold">${escapeHtml(spec.title)}</text>`,
    `<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ccc"/>`,
  ];
  if (spec.band !== undefined) {
    const from = sx(Math.max(x0, spec.band.from));
    const to = sx(Math.min(x1, spec.band.to));
    if (to > from) {
      parts.push(
        `<rect x="${from.toFixed(1)}" y="${m.top}" width="${(to - from).toFixed(1)}" height="${plotH}" fill="#e8f0fb"/>`,
      );
      parts.push(
        `<text x="${from.toFixed(1)}" y="${m.top - 4}" fill="#456">${escapeHtml(spec.band.label)}</text>`,
      );
    }
  }
  for (const t of spec.yLog ? logTicks(y0, y1) : niceTicks(y0, y1)) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    parts.push(
      `<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${label(t)}</text>`,
    );
  }
  for (const t of niceTicks(x0, x1, 10)) {
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top + plotH}" y2="${m.top + plotH + 4}" stroke="#888"/>`);
    parts.push(`<text x="${x}" y="${m.top + plotH + 16}" text-anchor="middle">${label(t)}</text>`);
  }
  parts.push(
    `<text x="${m.left + plotW / 2}" y="${height - 26}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.yLabel)}</text>`,
  );
  for (const r of refs) {
    const y = sy(r.y).toFixed(1);
    parts.push(
      `<line x1="${m.left}" x2="${m.left + plotW}" y1="${y}" y2="${y}" stroke="${r.color}" stroke-dasharray="6 4"/>`,
    );
    parts.push(
      `<text x="${m.left + plotW - 4}" y="${Number(y) - 4}" text-anchor="end" fill="${r.color}">${escapeHtml(r.label)}</text>`,
    );
  }
  for (const s of spec.series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && finite(y));
    if (pts.length === 0) continue;
    const d = pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="4 3"' : '';
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6"${dash} points="${d}"/>`);
    if (pts.length <= 30) {
      for (const [x, y] of pts)
        parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    }
  }
  let lx = m.left;
  for (const s of spec.series) {
    parts.push(`<rect x="${lx}" y="${height - 12}" width="14" height="3" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 18}" y="${height - 8}">${escapeHtml(s.name)}</text>`);
    lx += 30 + s.name.length * 6.2;
  }
  parts.push('</svg>');
  return parts.join('\n');
}
