import type { Series } from './api/types';

/**
 * Joins several series with their own x values into uPlot's aligned form:
 * one sorted x array of every distinct x, and per series a y array with null where it has no point.
 */
export function alignSeries(series: readonly Series[]): [number[], ...(number | null)[][]] {
  const xs = new Set<number>();
  for (const s of series) for (const x of s.x) if (Number.isFinite(x)) xs.add(x);
  const x = Array.from(xs).sort((a, b) => a - b);
  const index = new Map<number, number>();
  x.forEach((value, i) => index.set(value, i));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(x.length).fill(null);
    for (let i = 0; i < s.x.length; i++) {
      const at = index.get(s.x[i]);
      if (at !== undefined) y[at] = s.y[i] ?? null;
    }
    return y;
  });
  return [x, ...ys];
}

/** For a log scale: values that are not positive become null. */
export function positiveOnly(values: readonly (number | null)[]): (number | null)[] {
  return values.map((v) => (v !== null && v > 0 ? v : null));
}
