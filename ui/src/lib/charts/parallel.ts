// Parallel coordinates: one vertical axis per chosen param (and one metric), one polyline per run.
// Numeric axes are linear from the lowest to the highest value; anything else is categorical, its
// distinct values spread evenly in sorted order. Positions are 0 (bottom) … 1 (top); null when a run
// has no value on that axis.
import type { ParamValue } from '../api/types';

export type AxisValue = ParamValue | undefined;

export interface PcAxis {
  key: string;
  kind: 'number' | 'category';
  /** Numeric: [min, max]. */
  domain: [number, number];
  /** Categorical: the values in axis order, as their text. */
  categories: string[];
  /** Tick labels with their positions (0..1). */
  ticks: { at: number; label: string }[];
}

/** The text of a categorical value ("true", "resnet50", "[1,2]"). */
export function categoryText(v: AxisValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Builds one axis from every run's value on it. */
export function buildAxis(key: string, values: readonly AxisValue[], format: (v: number) => string = String): PcAxis {
  const present = values.filter((v) => v !== null && v !== undefined);
  const numeric = present.length > 0 && present.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (numeric) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of present as number[]) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const domain: [number, number] = [lo, hi];
    const ticks = lo === hi ? [{ at: 0.5, label: format(lo) }] : niceTicks(lo, hi, 5).map((v) => ({ at: (v - lo) / (hi - lo), label: format(v) }));
    return { key, kind: 'number', domain, categories: [], ticks };
  }
  const set = new Set(present.map(categoryText));
  const categories = [...set].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const axis: PcAxis = { key, kind: 'category', domain: [0, 0], categories, ticks: [] };
  axis.ticks = categories.map((c, i) => ({ at: categoryPosition(i, categories.length), label: c }));
  return axis;
}

/** Round tick values (1, 2 or 5 times a power of ten apart) within [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function categoryPosition(index: number, count: number): number {
  return count <= 1 ? 0.5 : index / (count - 1);
}

/** A value's position on an axis, 0 (bottom) … 1 (top); null when it has none or does not fit the axis. */
export function axisPosition(axis: PcAxis, v: AxisValue): number | null {
  if (v === null || v === undefined) return null;
  if (axis.kind === 'number') {
    if (typeof v !== 'number' || !Number.isFinite(v)) return null;
    const [lo, hi] = axis.domain;
    return hi === lo ? 0.5 : (v - lo) / (hi - lo);
  }
  const i = axis.categories.indexOf(categoryText(v));
  return i < 0 ? null : categoryPosition(i, axis.categories.length);
}
