// A group of runs (e.g. the seeds of one config) drawn as one line with a band: the mean across the
// runs at every x any of them logged, with min/max or mean ± std around it. Runs that logged at
// other x values are interpolated linearly between their own points; outside its own first and last
// x a run does not count (so a shorter run does not drag the band).
import type { Series } from '../api/types';

export type BandMode = 'minmax' | 'std';

export interface Band {
  x: number[];
  mean: (number | null)[];
  lower: (number | null)[];
  upper: (number | null)[];
  /** How many runs had a value at each x. */
  count: number[];
}

/** The sorted, distinct finite x values of every series. */
export function unionX(series: readonly Series[]): number[] {
  let total = 0;
  for (const s of series) total += s.x.length;
  const all = new Float64Array(total);
  let n = 0;
  for (const s of series) for (const x of s.x) if (Number.isFinite(x)) all[n++] = x;
  const sorted = all.subarray(0, n).sort();
  const out: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(sorted[i]);
  return out;
}

/** The finite points of a series, sorted by x (a copy only when it is not sorted already). */
function cleanPoints(s: Series): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  let sorted = true;
  for (let i = 0; i < s.x.length; i++) {
    const xv = s.x[i];
    const yv = s.y[i];
    if (!Number.isFinite(xv) || yv === null || yv === undefined || !Number.isFinite(yv)) continue;
    if (x.length && xv < x[x.length - 1]) sorted = false;
    x.push(xv);
    y.push(yv);
  }
  if (sorted) return { x, y };
  const order = x.map((_, i) => i).sort((a, b) => x[a] - x[b]);
  return { x: order.map((i) => x[i]), y: order.map((i) => y[i]) };
}

/**
 * The band of a group over the union of the runs' x values. `mode` picks the envelope: the lowest and
 * highest run, or the mean ± one (population) standard deviation.
 */
export function computeBand(series: readonly Series[], mode: BandMode): Band {
  const x = unionX(series);
  const n = x.length;
  const sum = new Float64Array(n);
  const sumSq = new Float64Array(n);
  const lo = new Float64Array(n).fill(Infinity);
  const hi = new Float64Array(n).fill(-Infinity);
  const count = new Array<number>(n).fill(0);
  for (const s of series) {
    const p = cleanPoints(s);
    if (p.x.length === 0) continue;
    // Walk the union x and the run's own points together (both sorted).
    let j = 0;
    const first = p.x[0];
    const last = p.x[p.x.length - 1];
    for (let i = 0; i < n; i++) {
      const xv = x[i];
      if (xv < first || xv > last) continue;
      while (j + 1 < p.x.length && p.x[j + 1] <= xv) j++;
      let v: number;
      if (p.x[j] === xv || j + 1 >= p.x.length) v = p.y[j];
      else {
        const t = (xv - p.x[j]) / (p.x[j + 1] - p.x[j]);
        v = p.y[j] + t * (p.y[j + 1] - p.y[j]);
      }
      sum[i] += v;
      sumSq[i] += v * v;
      if (v < lo[i]) lo[i] = v;
      if (v > hi[i]) hi[i] = v;
      count[i]++;
    }
  }
  const mean: (number | null)[] = new Array(n);
  const lower: (number | null)[] = new Array(n);
  const upper: (number | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const c = count[i];
    if (c === 0) {
      mean[i] = lower[i] = upper[i] = null;
      continue;
    }
    const m = sum[i] / c;
    mean[i] = m;
    if (mode === 'minmax') {
      lower[i] = lo[i];
      upper[i] = hi[i];
    } else {
      const sd = Math.sqrt(Math.max(0, sumSq[i] / c - m * m));
      lower[i] = m - sd;
      upper[i] = m + sd;
    }
  }
  return { x, mean, lower, upper, count };
}
