// The pure decisions behind a chart that never lies: its y range (also for a constant series and on
// a log axis), which values a log axis cannot show, and when a series is drawn as points.

/**
 * The y range for data between `min` and `max` (null when there is none).
 * Linear: 5 % padding; a constant series gets ±10 % of its value (±1 around 0), so it is a line in
 * the middle of a labelled axis, not a blank chart. Log: whole decades around the data (a constant
 * series on a decade gets the decade below and above), so there are always labelled ticks.
 */
export function yRange(min: number | null, max: number | null, log: boolean): [number, number] {
  if (log) {
    if (min === null || max === null || !(min > 0) || !(max > 0)) return [0.1, 10];
    let lo = 10 ** Math.floor(Math.log10(min) + 1e-12);
    let hi = 10 ** Math.ceil(Math.log10(max) - 1e-12);
    if (lo >= hi) {
      lo /= 10;
      hi *= 10;
    }
    return [lo, hi];
  }
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.05;
  // Do not pad a non-negative series below zero (losses, accuracies start at 0, not at -0.05).
  const lo = min >= 0 && min - pad < 0 ? 0 : min - pad;
  return [lo, max + pad];
}

/** Lowest and highest finite value of `values[from..to]` (inclusive), or nulls when there is none. */
export function extent(values: ArrayLike<number | null | undefined>, from = 0, to = values.length - 1): [number | null, number | null] {
  let lo = Infinity;
  let hi = -Infinity;
  const end = Math.min(to, values.length - 1);
  for (let i = Math.max(0, from); i <= end; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [null, null];
}

/**
 * The values a log axis draws: a value ≤ 0 becomes null, which uPlot draws as a gap (the line is
 * broken there, never bridged across values it cannot show), and a missing value (null: a run or
 * metric without a point at that x) becomes undefined, which uPlot spans as on a linear axis. The
 * series must be drawn with `spanGaps: false`. Returns the input (no copy) when it has neither.
 */
export function logGaps(values: readonly (number | null | undefined)[]): { values: (number | null | undefined)[]; skipped: number } {
  let skipped = 0;
  let missing = 0;
  for (const v of values) {
    if (v === null) missing++;
    else if (v !== undefined && !(v > 0)) skipped++;
  }
  if (skipped === 0 && missing === 0) return { values: values as (number | null | undefined)[], skipped };
  const out = new Array<number | null | undefined>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined ? undefined : v > 0 ? v : null;
  }
  return { values: out, skipped };
}

/** "3 values ≤ 0 not shown" (log axis), or '' when nothing was skipped. */
export function skippedNote(skipped: number): string {
  if (skipped <= 0) return '';
  return `${skipped} value${skipped === 1 ? '' : 's'} ≤ 0 not shown (log scale)`;
}

/** The number of finite values of a series. */
export function countValues(values: ArrayLike<number | null | undefined>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined && Number.isFinite(v)) n++;
  }
  return n;
}

/**
 * Whether a series is drawn with point markers: always when it has one value (a line needs two),
 * and whenever its values in view are at least `minGapPx` apart on average (a sparse val metric, the
 * first epochs of a run), so that no value is hidden inside a line.
 */
export function showPoints(valuesInView: number, plotWidthPx: number, minGapPx = 8): boolean {
  if (valuesInView <= 0) return false;
  if (valuesInView === 1) return true;
  return plotWidthPx / valuesInView >= minGapPx;
}
