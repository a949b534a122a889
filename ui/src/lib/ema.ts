/**
 * Exponential moving average with debiasing (as TensorBoard does), so the first points are not
 * pulled towards zero. `weight` 0 returns the values unchanged; nulls and non-finite values are
 * kept as null and skipped.
 */
export function ema(values: readonly (number | null)[], weight: number): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) return values.map((v) => (v === null || !Number.isFinite(v) ? null : v));
  const out: (number | null)[] = new Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * w + (1 - w) * v;
    count++;
    out[i] = last / (1 - w ** count);
  }
  return out;
}
