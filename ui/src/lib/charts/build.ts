// The data and series of the workspace's charts: one run's metric, several runs overlaid, or groups
// of runs as mean lines with bands. With smoothing, the raw line stays faint under the smoothed one
// (on the run page and on Compare alike).
import type { Series } from '../api/types';
import { alignSeries } from '../align';
import { ema } from '../ema';
import { computeBand, type BandMode } from './bands';
import type { BandStyle, SeriesStyle } from './options';

export interface ChartModel {
  data: [number[], ...(number | null)[][]];
  series: SeriesStyle[];
  bands: BandStyle[];
  /** Per series: the run or group key it stands for (null for raw lines and band edges). */
  keys: (string | null)[];
}

export const EMPTY_CHART: ChartModel = { data: [[]], series: [], bands: [], keys: [] };

/** A colour with an alpha (hex colours only): faint raw lines, band fills. */
export function withAlpha(color: string, alpha: number): string {
  if (!/^#[0-9a-f]{6}$/i.test(color)) return color;
  return `${color}${Math.round(Math.min(1, Math.max(0, alpha)) * 255).toString(16).padStart(2, '0')}`;
}

/** A series with `offset` subtracted from its x (relative time); the same object when 0. */
export function shiftX(s: Series, offset: number): Series {
  if (!offset) return s;
  const x = new Array<number>(s.x.length);
  for (let i = 0; i < s.x.length; i++) x[i] = s.x[i] - offset;
  return { x, y: s.y };
}

/** The first x of any of a run's series (its start on a time axis), or 0. */
export function firstX(series: Record<string, Series> | null | undefined): number {
  let first = Infinity;
  for (const s of Object.values(series ?? {})) if (s.x.length && s.x[0] < first) first = s.x[0];
  return Number.isFinite(first) ? first : 0;
}

export interface OverlayLine {
  key: string;
  label: string;
  /** The full name (legend hover). */
  title?: string;
  color: string;
  series: Series;
}

/**
 * Lines overlaid on one x (the union of theirs). With smoothing each line is drawn smoothed, its raw
 * values faint beneath; raw lines come first so that every smoothed line is drawn over them.
 */
export function overlayChart(lines: readonly OverlayLine[], smoothing: number): ChartModel {
  if (lines.length === 0) return EMPTY_CHART;
  const parts: Series[] = [];
  const series: SeriesStyle[] = [];
  const keys: (string | null)[] = [];
  if (smoothing > 0) {
    for (const l of lines) {
      parts.push(l.series);
      series.push({ label: `${l.label} (raw)`, color: withAlpha(l.color, 0.3), width: 1, quiet: true });
      keys.push(null);
    }
  }
  for (const l of lines) {
    parts.push(smoothing > 0 ? { x: l.series.x, y: ema(l.series.y, smoothing) } : l.series);
    series.push({ label: l.label, title: l.title, color: l.color, width: smoothing > 0 ? 2 : 1.5 });
    keys.push(l.key);
  }
  return { data: alignSeries(parts), series, bands: [], keys };
}

export interface GroupLines {
  key: string;
  label: string;
  title?: string;
  color: string;
  members: Series[];
}

/**
 * Each group as its mean line with a band (min/max or mean ± std) across its runs; the legend says
 * how many runs a group holds. Smoothing applies to every run before the band is taken.
 */
export function groupChart(groups: readonly GroupLines[], mode: BandMode, smoothing: number): ChartModel {
  if (groups.length === 0) return EMPTY_CHART;
  const parts: Series[] = [];
  const series: SeriesStyle[] = [];
  const bands: BandStyle[] = [];
  const keys: (string | null)[] = [];
  for (const g of groups) {
    const members = smoothing > 0 ? g.members.map((m) => ({ x: m.x, y: ema(m.y, smoothing) })) : g.members;
    const band = computeBand(members, mode);
    const n = g.members.length;
    const base = parts.length + 1;
    parts.push({ x: band.x, y: band.mean }, { x: band.x, y: band.upper }, { x: band.x, y: band.lower });
    series.push(
      { label: `${g.label} (${n} run${n === 1 ? '' : 's'})`, title: g.title, color: g.color, width: 2 },
      { label: `${g.label} upper`, color: g.color, edge: true },
      { label: `${g.label} lower`, color: g.color, edge: true },
    );
    keys.push(g.key, null, null);
    if (n > 1) bands.push({ upper: base + 1, lower: base + 2, color: withAlpha(g.color, 0.25) });
  }
  return { data: alignSeries(parts), series, bands, keys };
}
