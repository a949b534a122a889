import type { Series } from './api/types';
import { unionX } from './charts/bands';

/**
 * Joins several series with their own x values into uPlot's aligned form:
 * one sorted x array of every distinct x, and per series a y array with null where it has no point.
 * Sorted series (the usual case) are walked alongside the joined x without a lookup table; when
 * every series has the same x values, those are used as they are.
 */
export function alignSeries(series: readonly Series[]): [number[], ...(number | null)[][]] {
  if (series.length === 0) return [[]];
  if (series.every((s) => sameX(s.x, series[0].x)) && isStrictlySorted(series[0].x)) {
    return [series[0].x.slice(), ...series.map((s) => s.y.slice())];
  }
  const x = unionX(series);
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(x.length).fill(null);
    if (isSorted(s.x)) {
      let at = 0;
      for (let i = 0; i < s.x.length; i++) {
        const xv = s.x[i];
        if (!Number.isFinite(xv)) continue;
        while (x[at] < xv) at++;
        y[at] = s.y[i] ?? null;
      }
    } else {
      const index = new Map<number, number>();
      x.forEach((value, i) => index.set(value, i));
      for (let i = 0; i < s.x.length; i++) {
        const at = index.get(s.x[i]);
        if (at !== undefined) y[at] = s.y[i] ?? null;
      }
    }
    return y;
  });
  return [x, ...ys];
}

function sameX(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isSorted(x: readonly number[]): boolean {
  for (let i = 1; i < x.length; i++) if (x[i] < x[i - 1]) return false;
  return true;
}

function isStrictlySorted(x: readonly number[]): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]) || (i > 0 && x[i] <= x[i - 1])) return false;
  return true;
}

/** For a log scale: values that are not positive become null. */
export function positiveOnly(values: readonly (number | null)[]): (number | null)[] {
  return values.map((v) => (v !== null && v > 0 ? v : null));
}
