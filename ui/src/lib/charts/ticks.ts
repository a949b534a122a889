// One tick and value format for every chart: compact numbers (5e-4, 0.0015, 12k, 3.5M), ISO-style
// 24 h local times and "1h30m"-style durations. One axis uses one style for all of its ticks, so
// "5.00e-4" never stands beside "0.0015".

const SUFFIXES: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Drops trailing zeros of a fixed-point text: "0.0010" → "0.001", "2.50" → "2.5", "3.00" → "3". */
function trimZeros(text: string): string {
  if (!text.includes('.')) return text;
  return text.replace(/\.?0+$/, '');
}

/** "5e-4", "1.5e-3", "-2e+7" style: the mantissa with at most `digits` decimals, zeros trimmed. */
function exponent(value: number, digits: number): string {
  const [mantissa, exp] = value.toExponential(digits).split('e');
  return `${trimZeros(mantissa)}e${exp.startsWith('+') ? exp.slice(1) : exp}`;
}

/**
 * Labels for the ticks of one numeric axis, in one style chosen from the ticks' size and spacing:
 * fixed decimals (as many as the spacing needs), a k/M/G suffix from 10,000 up, or an exponent
 * below 0.001. Null ticks (uPlot's filtered minor ticks) get an empty label, never "–".
 */
export function formatTicks(ticks: readonly (number | null)[]): string[] {
  const finite: number[] = [];
  for (const t of ticks) if (t !== null && Number.isFinite(t)) finite.push(t);
  if (finite.length === 0) return ticks.map(() => '');
  let maxAbs = 0;
  for (const t of finite) maxAbs = Math.max(maxAbs, Math.abs(t));
  let step = Infinity;
  for (let i = 1; i < finite.length; i++) {
    const d = Math.abs(finite[i] - finite[i - 1]);
    if (d > 0) step = Math.min(step, d);
  }
  if (!Number.isFinite(step)) step = maxAbs || 1;
  const label = pickStyle(finite, maxAbs, step);
  return ticks.map((t) => (t === null || !Number.isFinite(t) ? '' : label(t)));
}

/** The fewest decimals (≤ max) at which every value is written exactly (to a tolerance). */
function decimalsFor(values: readonly number[], tolerance: number, max: number): number {
  for (let d = 0; d < max; d++) {
    if (values.every((v) => Math.abs(Number(v.toFixed(d)) - v) <= tolerance)) return d;
  }
  return max;
}

function pickStyle(ticks: readonly number[], maxAbs: number, step: number): (v: number) => string {
  if (maxAbs === 0) return () => '0';
  if (maxAbs < 1e-3 || maxAbs >= 1e15) {
    // Mantissas at one exponent each; enough digits to tell neighbouring ticks apart.
    const mantissas = ticks.filter((t) => t !== 0).map((t) => t / 10 ** Math.floor(Math.log10(Math.abs(t))));
    const digits = decimalsFor(mantissas, 1e-6, 6);
    return (v) => (v === 0 ? '0' : exponent(v, digits));
  }
  if (maxAbs >= 1e4) {
    const [scale, suffix] = SUFFIXES.find(([s]) => maxAbs >= s) ?? [1, ''];
    const decimals = decimalsFor(ticks.map((t) => t / scale), (step / scale) * 1e-6, 6);
    return (v) => (v === 0 ? '0' : `${trimZeros((v / scale).toFixed(decimals))}${suffix}`);
  }
  const decimals = decimalsFor(ticks, step * 1e-6, 12);
  return (v) => trimZeros(v.toFixed(decimals));
}

/**
 * One value (legend, crosshair, export) with about 4 significant digits in the same compact style:
 * 0.0015, 0.9512, 5e-4, 1.234e-5, 12.35k. "–" only for a missing value.
 */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e15) return exponent(value, 3);
  if (abs >= 1e4) {
    const [scale, suffix] = SUFFIXES.find(([s]) => abs >= s) ?? [1, ''];
    return `${trimZeros((value / scale).toPrecision(4))}${suffix}`;
  }
  if (Number.isInteger(value)) return String(value);
  return trimZeros(value.toPrecision(4));
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Labels for a time axis (Unix seconds, local time, 24 h): "10:00", "10:00:30" when the ticks are
 * under a minute apart, "01-02 10:00" where the date changes (and on the first tick), "2024-01-02"
 * when they are a day or more apart.
 */
export function formatTimeTicks(ticks: readonly (number | null)[]): string[] {
  const finite = ticks.filter((t): t is number => t !== null && Number.isFinite(t));
  let step = Infinity;
  for (let i = 1; i < finite.length; i++) step = Math.min(step, Math.abs(finite[i] - finite[i - 1]) || Infinity);
  let lastDay = '';
  return ticks.map((t) => {
    if (t === null || !Number.isFinite(t)) return '';
    const d = new Date(t * 1000);
    const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    if (step >= 86400) return day;
    const clock = step < 60 ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    const label = day !== lastDay ? `${day.slice(5)} ${clock}` : clock;
    lastDay = day;
    return label;
  });
}

/** A time for a legend or tooltip: "2024-01-02 10:00:05". */
export function formatTimeValue(t: number | null | undefined): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return '–';
  const d = new Date(t * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A duration in seconds, compact: "45s", "12m", "1h05m", "2d3h"; negative values get a "-". */
export function formatDurationValue(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(seconds);
  if (s < 60) return `${sign}${trimZeros(s.toFixed(s < 10 && !Number.isInteger(s) ? 1 : 0))}s`;
  s = Math.round(s);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${sign}${d}d${h ? `${h}h` : ''}`;
  if (h > 0) return `${sign}${h}h${m ? pad(m) + 'm' : ''}`;
  return `${sign}${m}m${sec ? pad(sec) + 's' : ''}`;
}

/** Labels for a relative-time axis (seconds since the run's start). */
export function formatDurationTicks(ticks: readonly (number | null)[]): string[] {
  return ticks.map((t) => (t === null || !Number.isFinite(t) ? '' : t === 0 ? '0' : formatDurationValue(t)));
}

/** Tick positions for a duration axis: multiples of 1/2/5/10/15/30 s, minutes, hours or days. */
const DURATION_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

export function durationSplits(min: number, max: number, targetCount: number): number[] {
  const span = max - min;
  if (!(span > 0) || !Number.isFinite(span)) return [min];
  const raw = span / Math.max(1, targetCount);
  const step = DURATION_STEPS.find((s) => s >= raw) ?? Math.ceil(raw / 604800) * 604800;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9 && out.length < 1000; v += step) out.push(v);
  return out;
}

/**
 * Labels for log-axis ticks: decades always; 2 and 5 times a decade when the axis spans at most
 * two decades; every other minor tick gets an empty label.
 */
export function formatLogTicks(ticks: readonly (number | null)[], min: number, max: number): string[] {
  const decades = min > 0 && max > 0 ? Math.log10(max / min) : Infinity;
  const keep = ticks.map((t) => {
    if (t === null || !(t > 0)) return null;
    const mantissa = Math.round(t / 10 ** Math.floor(Math.log10(t) + 1e-9));
    if (mantissa === 1) return t;
    if (decades <= 2.05 && (mantissa === 2 || mantissa === 5)) return t;
    return null;
  });
  const finite = keep.filter((t): t is number => t !== null);
  // One style per axis: when a label needs an exponent (below 0.001), every label has one
  // ("1e-5", "1e-4", "1e-3"; never "0.001" beside "1e-4"); otherwise the compact values.
  const exp = finite.some((t) => t < 1e-3 || t >= 1e15);
  return keep.map((t) => (t === null ? '' : exp ? exponent(t, 0) : formatValue(t)));
}
