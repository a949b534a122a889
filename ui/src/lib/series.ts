import type { RunPoint, Series, XAxis } from './api/types';
import { ema } from './ema';
import { positiveOnly } from './align';

export type SeriesMap = Record<string, Series>;

/**
 * Appends live points to per-metric series (mutating them) and returns the metrics that changed.
 * With x = step a point is taken only when its step is past the series' last one, so points already
 * in a freshly fetched series are not added twice; time and epoch may repeat (several lines within
 * one timestamp or epoch), so there only points before the last x are dropped.
 */
export function appendPoints(series: SeriesMap, points: readonly RunPoint[], x: XAxis): string[] {
  const changed = new Set<string>();
  for (const p of points) {
    const xv = p[x];
    if (xv === null || xv === undefined || !Number.isFinite(xv)) continue;
    for (const [metric, value] of Object.entries(p.values ?? {})) {
      let s = series[metric];
      if (!s) {
        s = { x: [], y: [] };
        series[metric] = s;
      }
      const last = s.x.length ? s.x[s.x.length - 1] : -Infinity;
      if (x === 'step' ? xv <= last : xv < last) continue;
      s.x.push(xv);
      s.y.push(value === null || value === undefined || !Number.isFinite(value) ? null : value);
      changed.add(metric);
    }
  }
  return [...changed];
}

/** Metric names in the run's order first, then any others alphabetically. */
export function metricOrder(known: readonly string[] | null | undefined, present: Iterable<string>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const have = new Set(present);
  for (const m of known ?? []) {
    if (have.has(m) && !seen.has(m)) {
      out.push(m);
      seen.add(m);
    }
  }
  for (const m of [...have].sort()) if (!seen.has(m)) out.push(m);
  return out;
}

/** uPlot data for one metric of one run: x, then the raw line, then (when smoothing) the smoothed line. */
export function chartData(s: Series, smoothing: number, logY: boolean): [number[], ...(number | null)[][]] {
  const y = logY ? positiveOnly(s.y) : s.y.slice();
  if (smoothing <= 0) return [s.x.slice(), y];
  return [s.x.slice(), y, ema(y, smoothing)];
}

export const PALETTE = [
  '#2f6fec',
  '#e8590c',
  '#1f9d55',
  '#d23c3c',
  '#8a63d2',
  '#0ca5b0',
  '#c98a0b',
  '#b0408a',
  '#5c7cfa',
  '#6a7385',
];
