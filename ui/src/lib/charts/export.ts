// PNG and SVG export of a chart. The SVG is built from the data (paths in the chart's own scales,
// its tick labels, its legend), never a bitmap wrapped in SVG; the PNG is the chart's canvas with
// its title and legend drawn around it.
import uPlot from 'uplot';

export interface SvgTick {
  /** Position along the axis in CSS pixels, from the plot area's left (x) or top (y). */
  at: number;
  label: string;
}

export interface SvgSeries {
  label: string;
  color: string;
  width: number;
  dash?: number[];
  /** Polyline runs (a gap splits a run), points in plot-area pixels. */
  runs: [number, number][][];
  /** Point markers instead of (or besides) lines. */
  markers?: boolean;
  /** Left out of the legend (the faint raw line behind a smoothed one, a band's edges). */
  quiet?: boolean;
}

export interface SvgBand {
  color: string;
  /** The closed outline: the upper edge left to right, then the lower edge right to left. */
  outline: [number, number][];
}

export interface SvgSpec {
  width: number;
  height: number;
  title: string;
  plot: { left: number; top: number; width: number; height: number };
  xTicks: SvgTick[];
  yTicks: SvgTick[];
  series: SvgSeries[];
  bands: SvgBand[];
  note?: string;
  colors: { background: string; text: string; grid: string };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number) => String(Math.round(v * 10) / 10);

/** The SVG document of a chart. */
export function buildSvg(spec: SvgSpec): string {
  const { plot, colors } = spec;
  const legendItems = spec.series.filter((s) => !s.quiet);
  const legendTop = plot.top + plot.height + 34;
  const height = Math.max(spec.height, legendTop + 16 * Math.ceil(legendItems.length / 3) + 8);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(spec.width)}" height="${num(height)}" viewBox="0 0 ${num(spec.width)} ${num(height)}" font-family="system-ui, sans-serif" font-size="11">`,
  );
  out.push(`<rect width="100%" height="100%" fill="${esc(colors.background)}"/>`);
  if (spec.title) out.push(`<text x="8" y="16" font-size="13" font-weight="600" fill="${esc(colors.text)}">${esc(spec.title)}</text>`);
  out.push(`<g transform="translate(${num(plot.left)},${num(plot.top)})">`);
  for (const t of spec.yTicks) {
    out.push(`<line x1="0" x2="${num(plot.width)}" y1="${num(t.at)}" y2="${num(t.at)}" stroke="${esc(colors.grid)}"/>`);
    if (t.label) out.push(`<text x="-6" y="${num(t.at + 4)}" text-anchor="end" fill="${esc(colors.text)}">${esc(t.label)}</text>`);
  }
  for (const t of spec.xTicks) {
    out.push(`<line x1="${num(t.at)}" x2="${num(t.at)}" y1="0" y2="${num(plot.height)}" stroke="${esc(colors.grid)}"/>`);
    if (t.label) out.push(`<text x="${num(t.at)}" y="${num(plot.height + 16)}" text-anchor="middle" fill="${esc(colors.text)}">${esc(t.label)}</text>`);
  }
  out.push(`<defs><clipPath id="plot"><rect width="${num(plot.width)}" height="${num(plot.height)}"/></clipPath></defs>`);
  out.push(`<g clip-path="url(#plot)">`);
  for (const b of spec.bands) {
    if (b.outline.length < 3) continue;
    out.push(`<path d="${pathOf([b.outline])}Z" fill="${esc(b.color)}" stroke="none"/>`);
  }
  for (const s of spec.series) {
    const dash = s.dash?.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
    const lines = s.runs.filter((r) => r.length > 1);
    if (lines.length) out.push(`<path d="${pathOf(lines)}" fill="none" stroke="${esc(s.color)}" stroke-width="${s.width}"${dash} stroke-linejoin="round"/>`);
    const dots = s.markers ? s.runs.flat() : s.runs.filter((r) => r.length === 1).flat();
    for (const [x, y] of dots) out.push(`<circle cx="${num(x)}" cy="${num(y)}" r="2.5" fill="${esc(s.color)}"/>`);
  }
  out.push(`</g>`);
  out.push(`<rect width="${num(plot.width)}" height="${num(plot.height)}" fill="none" stroke="${esc(colors.grid)}"/>`);
  out.push(`</g>`);
  if (spec.note) out.push(`<text x="${num(plot.left)}" y="${num(plot.top + plot.height + 30)}" fill="${esc(colors.text)}">${esc(spec.note)}</text>`);
  const colWidth = spec.width / 3;
  legendItems.forEach((s, i) => {
    const x = 8 + (i % 3) * colWidth;
    const y = legendTop + 16 * Math.floor(i / 3) + 8;
    out.push(`<rect x="${num(x)}" y="${num(y - 6)}" width="12" height="3" fill="${esc(s.color)}"/>`);
    out.push(`<text x="${num(x + 16)}" y="${num(y)}" fill="${esc(colors.text)}">${esc(s.label)}</text>`);
  });
  out.push(`</svg>`);
  return out.join('\n');
}

/** "M x y L x y …" for each run; consecutive points closer than 0.25 px are merged. */
function pathOf(runs: [number, number][][]): string {
  const parts: string[] = [];
  for (const run of runs) {
    let lastX = NaN;
    let lastY = NaN;
    run.forEach(([x, y], i) => {
      if (i > 0 && i < run.length - 1 && Math.abs(x - lastX) < 0.25 && Math.abs(y - lastY) < 0.25) return;
      parts.push(`${i === 0 ? 'M' : 'L'}${num(x)} ${num(y)}`);
      lastX = x;
      lastY = y;
    });
  }
  return parts.join(' ');
}

export interface ExportSeriesInfo {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  quiet?: boolean;
}

/** The SVG spec of a drawn uPlot chart, read from its scales, axis splits and data. */
export function specOfChart(
  u: uPlot,
  info: { title: string; series: ExportSeriesInfo[]; bands: { upper: number; lower: number; color: string }[]; note: string; markers: boolean[] },
  colors: SvgSpec['colors'],
): SvgSpec {
  const ratio = uPlot.pxRatio || 1;
  const plot = { left: u.bbox.left / ratio, top: u.bbox.top / ratio, width: u.bbox.width / ratio, height: u.bbox.height / ratio };
  const xs = u.data[0] as number[];
  const [i0, i1] = visibleRange(u);
  const toPoints = (si: number): [number, number][][] => {
    const ys = u.data[si] as (number | null | undefined)[];
    // As on screen: a null breaks the line where the series does not span gaps (a value ≤ 0 on a
    // log axis); other missing values are bridged.
    const breaks = u.series[si]?.spanGaps === false;
    const runs: [number, number][][] = [];
    let run: [number, number][] = [];
    for (let i = i0; i <= i1; i++) {
      const y = ys[i];
      if (y === null && breaks) {
        if (run.length) runs.push(run);
        run = [];
        continue;
      }
      if (y === null || y === undefined || !Number.isFinite(y)) continue;
      run.push([u.valToPos(xs[i], 'x'), u.valToPos(y, 'y')]);
    }
    if (run.length) runs.push(run);
    return runs;
  };
  const series: SvgSeries[] = info.series.map((s, k) => ({ ...s, width: s.width ?? 1.5, runs: toPoints(k + 1), markers: info.markers[k] }));
  const bands: SvgBand[] = info.bands.map((b) => {
    const up = toPoints(b.upper).flat();
    const lo = toPoints(b.lower).flat().reverse();
    return { color: b.color, outline: [...up, ...lo] };
  });
  const ticks = (axis: number, scale: 'x' | 'y'): SvgTick[] => {
    const a = u.axes[axis] as uPlot.Axis & { _splits?: number[]; _values?: string[] };
    const splits = a._splits ?? [];
    const values = a._values ?? [];
    return splits.map((v, i) => ({ at: u.valToPos(v, scale), label: String(values[i] ?? '') }));
  };
  return {
    width: u.width,
    height: u.height,
    title: info.title,
    plot,
    xTicks: ticks(0, 'x'),
    yTicks: ticks(1, 'y'),
    series,
    bands,
    note: info.note,
    colors,
  };
}

function visibleRange(u: uPlot): [number, number] {
  const xs = u.data[0] as number[];
  const min = u.scales.x.min ?? -Infinity;
  const max = u.scales.x.max ?? Infinity;
  let i0 = 0;
  let i1 = xs.length - 1;
  while (i0 < xs.length && xs[i0] < min) i0++;
  while (i1 > 0 && xs[i1] > max) i1--;
  return [Math.max(0, i0 - 1), Math.min(xs.length - 1, i1 + 1)];
}

/** The chart as a PNG: its canvas on the page's background, with its title and legend. */
export function chartPng(u: uPlot, title: string, legend: ExportSeriesInfo[], colors: SvgSpec['colors']): Promise<Blob | null> {
  const source = u.ctx.canvas;
  const ratio = uPlot.pxRatio || 1;
  const items = legend.filter((s) => !s.quiet);
  const head = Math.round(24 * ratio);
  const rows = Math.ceil(items.length / 3);
  const foot = Math.round((rows * 16 + 8) * ratio);
  const canvas = document.createElement('canvas');
  canvas.width = source.width;
  canvas.height = source.height + head + foot;
  const ctx = canvas.getContext('2d');
  if (!ctx) return Promise.resolve(null);
  ctx.fillStyle = colors.background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = colors.text;
  ctx.font = `600 ${13 * ratio}px system-ui, sans-serif`;
  ctx.fillText(title, 8 * ratio, 17 * ratio);
  ctx.drawImage(source, 0, head);
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  const colWidth = canvas.width / 3;
  items.forEach((s, i) => {
    const x = 8 * ratio + (i % 3) * colWidth;
    const y = head + source.height + (16 * Math.floor(i / 3) + 12) * ratio;
    ctx.fillStyle = s.color;
    ctx.fillRect(x, y - 6 * ratio, 12 * ratio, 3 * ratio);
    ctx.fillStyle = colors.text;
    ctx.fillText(s.label, x + 16 * ratio, y);
  });
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
}

/** Offers a blob as a download. */
export function download(blob: Blob, fileName: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** A file name from a chart title: "loss/train" → "loss_train". */
export function fileNameOf(title: string, ext: string): string {
  const base = title.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'chart';
  return `${base}.${ext}`;
}
