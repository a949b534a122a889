// Compare's pure parts: the params table (which keys differ), and groups of runs that differ only
// by one param (the seeds of one config), for the mean-and-band charts.
import type { ParamValue, RunParams } from '../../lib/api/types';
import { categoryText } from '../../lib/charts/parallel';

export interface ParamRow {
  key: string;
  /** One value per run, in the runs' order (undefined: the run has no such key). */
  values: (ParamValue | undefined)[];
  /** Whether the runs' values are not all the same. */
  differs: boolean;
}

const text = (v: ParamValue | undefined) => (v === undefined ? '\u0000missing' : categoryText(v) + `\u0000${typeof v}`);

/** The params table's rows: every key of any run, sorted, with whether the values differ. */
export function paramRows(params: readonly RunParams[]): ParamRow[] {
  const keys = new Set<string>();
  for (const p of params) for (const k of Object.keys(p)) keys.add(k);
  return [...keys].sort().map((key) => {
    const values = params.map((p) => (Object.prototype.hasOwnProperty.call(p, key) ? p[key] : undefined));
    const first = text(values[0]);
    return { key, values, differs: values.some((v) => text(v) !== first) };
  });
}

/** A param value as the table shows it. */
export function paramText(v: ParamValue | undefined): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  return categoryText(v);
}

export interface RunGroup {
  /** Stable id of the group (its shared values). */
  key: string;
  /** "lr=0.01, model=resnet" (the values its runs share where the runs differ), or "all runs". */
  label: string;
  /** Indices of its runs in the input order. */
  members: number[];
}

/**
 * Groups runs that differ only by `param` (and by keys that are the same for all of them): the key
 * of a group is the run's values of every other key that differs among the runs. Groups keep the
 * order of their first run.
 */
export function groupRuns(params: readonly RunParams[], param: string): RunGroup[] {
  const rows = paramRows(params).filter((r) => r.differs && r.key !== param);
  const groups = new Map<string, RunGroup>();
  params.forEach((_, i) => {
    const shared = rows.map((r) => `${r.key}=${paramText(r.values[i])}`);
    const key = shared.join(', ');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key: key || 'all', label: key || 'all runs', members: [] }));
    g.members.push(i);
  });
  return [...groups.values()];
}
