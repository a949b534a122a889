// Chart settings in the URL's hash query (`#/compare?runs=…&x=relative&smooth=0.6`), so Back,
// reload and a shared link restore the same view. Defaults are left out of the URL.
import type { XAxis } from '../api/types';
import type { BandMode } from './bands';

/**
 * Points asked per series unless the URL says otherwise: min/max pairs of 500 groups, an exact
 * envelope for a chart up to ~1000 px wide, and what the server answers from memory (its history
 * keeps 512 buckets per run; more points make it read the log again).
 */
export const DEFAULT_POINTS = 1000;

/**
 * Points asked per series when `runs` series share a chart (Compare). Every overlaid line is a
 * zig-zag envelope the browser strokes with anti-aliasing, and on a software rasteriser that cost
 * grows with runs × points: 20 runs × 5 charts at 1,000 points took ~640 ms to rasterise here, at
 * 400 ~130 ms. Beyond 5 runs, 400 points (min/max of 200 groups, one pair per ~3 px) are kept; a
 * `points=` in the URL still asks for more.
 */
export function defaultPoints(runs: number): number {
  return runs > 5 ? 400 : DEFAULT_POINTS;
}

/** The x axes a chart offers: the server's three, and the time since each run's start. */
export type ChartX = XAxis | 'relative';

export const CHART_X: readonly ChartX[] = ['step', 'time', 'epoch', 'relative'];

export interface ChartSettings {
  x: ChartX;
  logY: boolean;
  /** EMA weight 0 … 0.99; 0 is off. */
  smoothing: number;
  /** The metric search (a regex). */
  filter: string;
  /** Charts in sections by tag prefix ("loss/…" under "loss"). */
  sections: boolean;
  /** The metric shown full width, or ''. */
  full: string;
  /** Compare: the param whose values are aggregated (runs differing only by it form a group), or ''. */
  group: string;
  band: BandMode;
  /** Compare: param keys hidden from the params table. */
  hidden: string[];
  /** Compare: only the params whose values differ. */
  diffOnly: boolean;
  /** Compare: the params on the parallel coordinates, and its metric. */
  pcParams: string[];
  pcMetric: string;
  /** Points asked per series (0: as wide as the chart). */
  points: number;
}

export const DEFAULT_SETTINGS: Readonly<ChartSettings> = Object.freeze({
  x: 'step',
  logY: false,
  smoothing: 0,
  filter: '',
  sections: true,
  full: '',
  group: '',
  band: 'minmax',
  hidden: [],
  diffOnly: false,
  pcParams: [],
  pcMetric: '',
  points: 0,
}) as Readonly<ChartSettings>;

const list = (v: string | null) => (v ? v.split(',').filter((s) => s !== '') : []);

/** Reads chart settings from a route's query; anything missing or invalid takes its default. */
export function readSettings(query: URLSearchParams): ChartSettings {
  const x = query.get('x');
  const smooth = Number(query.get('smooth'));
  const points = Number(query.get('points'));
  const band = query.get('band');
  return {
    x: (CHART_X as readonly string[]).includes(x ?? '') ? (x as ChartX) : DEFAULT_SETTINGS.x,
    logY: query.get('log') === '1',
    smoothing: Number.isFinite(smooth) && smooth > 0 ? Math.min(0.99, smooth) : 0,
    filter: query.get('filter') ?? '',
    sections: query.get('sections') !== '0',
    full: query.get('full') ?? '',
    group: query.get('group') ?? '',
    band: band === 'std' ? 'std' : 'minmax',
    hidden: list(query.get('hide')),
    diffOnly: query.get('diff') === '1',
    pcParams: list(query.get('pc')),
    pcMetric: query.get('pcm') ?? '',
    points: Number.isInteger(points) && points > 0 ? Math.min(100_000, points) : 0,
  };
}

/**
 * Writes `settings` into a copy of `query` (other keys, such as `runs`, are kept): a key per
 * setting that differs from its default, none for those that do not.
 */
export function writeSettings(settings: ChartSettings, query: URLSearchParams = new URLSearchParams()): URLSearchParams {
  const out = new URLSearchParams(query);
  const set = (key: string, value: string | null) => (value === null ? out.delete(key) : out.set(key, value));
  const d = DEFAULT_SETTINGS;
  set('x', settings.x !== d.x ? settings.x : null);
  set('log', settings.logY ? '1' : null);
  set('smooth', settings.smoothing > 0 ? String(Math.round(settings.smoothing * 100) / 100) : null);
  set('filter', settings.filter ? settings.filter : null);
  set('sections', settings.sections ? null : '0');
  set('full', settings.full || null);
  set('group', settings.group || null);
  set('band', settings.band !== d.band ? settings.band : null);
  set('hide', settings.hidden.length ? settings.hidden.join(',') : null);
  set('diff', settings.diffOnly ? '1' : null);
  set('pc', settings.pcParams.length ? settings.pcParams.join(',') : null);
  set('pcm', settings.pcMetric || null);
  set('points', settings.points > 0 ? String(settings.points) : null);
  return out;
}

/** The query as text for a hash route, with the commas and colons of run lists left readable. */
export function queryText(query: URLSearchParams): string {
  return query.toString().replace(/%2C/gi, ',').replace(/%3A/gi, ':');
}

/** The query text of a hash route (`#/compare?runs=…`) with `settings` written into it. */
export function settingsQuery(settings: ChartSettings, hash: string): string {
  const q = hash.indexOf('?');
  const current = new URLSearchParams(q >= 0 ? hash.slice(q + 1) : '');
  return queryText(writeSettings(settings, current));
}

/** The x axis the server is asked for: relative time is time, shifted in the browser. */
export function serverAxis(x: ChartX): XAxis {
  return x === 'relative' ? 'time' : x;
}

/** The kind of x values a chart gets. */
export function xKindOf(x: ChartX): 'number' | 'step' | 'time' | 'relative' {
  return x === 'time' ? 'time' : x === 'relative' ? 'relative' : x === 'step' ? 'step' : 'number';
}

/** The x axis' label. */
export function xLabelOf(x: ChartX): string {
  return x === 'relative' ? 'time since start' : x;
}
