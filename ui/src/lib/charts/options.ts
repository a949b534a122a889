// uPlot options for every chart of the app: one tick format, a fixed y-axis width (so the plot areas
// of charts on a page line up), y ranges that suit constant and log data, point markers where a
// series is sparse, bands between two series, and the page's shared cursor.
import uPlot from 'uplot';
import { durationSplits, formatDurationTicks, formatDurationValue, formatLogTicks, formatTicks, formatTimeTicks, formatTimeValue, formatValue } from './ticks';
import { showPoints, yRange } from './scale';

/** What the x values are: a number (epoch), a step (whole numbers), Unix seconds, or seconds since the run's start. */
export type XKind = 'number' | 'step' | 'time' | 'relative';

export interface SeriesStyle {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  /** Hidden from the legend (the faint raw line behind a smoothed one, a band's edges). */
  quiet?: boolean;
  /** A band edge: drawn by its band's fill only. */
  edge?: boolean;
  /** The full name, shown on hover over the legend entry. */
  title?: string;
}

export interface BandStyle {
  /** Indices into the data (1 = the first y series). */
  upper: number;
  lower: number;
  color: string;
}

/** The y axis' width in CSS pixels: the same on every chart, so plot areas line up. */
export const Y_AXIS_WIDTH = 62;

export interface OptionsInput {
  width: number;
  height: number;
  title: string;
  xKind: XKind;
  xLabel: string;
  logY: boolean;
  yMax?: number;
  yFormat?: (v: number | null) => string;
  series: SeriesStyle[];
  bands: BandStyle[];
  colors: { axis: string; grid: string };
  syncKey?: string;
  /** Finite values per data series (index 1…), kept current by the chart on every setData. */
  counts: number[];
  onSelect?: (u: uPlot) => void;
}

export function buildOptions(o: OptionsInput): uPlot.Options {
  const axis = { stroke: o.colors.axis, grid: { stroke: o.colors.grid, width: 1 }, ticks: { stroke: o.colors.grid, width: 1 }, font: '11px system-ui, sans-serif' };
  const yValue = (_u: uPlot, v: number | null) => (o.yFormat ? o.yFormat(v) : formatValue(v));
  const xValue =
    o.xKind === 'time' ? (_u: uPlot, v: number | null) => formatTimeValue(v) : o.xKind === 'relative' ? (_u: uPlot, v: number | null) => formatDurationValue(v) : (_u: uPlot, v: number | null) => formatValue(v);
  const pointsShow = (u: uPlot, si: number, i0: number, i1: number) => {
    const total = u.data[0]?.length ?? 0;
    const count = o.counts[si] ?? 0;
    if (count <= 1) return count === 1;
    // The values in view, estimated from the series' density (no walk over the data per draw).
    const inView = total > 0 ? Math.max(1, Math.round((count * (i1 - i0 + 1)) / total)) : count;
    return showPoints(inView, u.bbox.width / uPlot.pxRatio);
  };
  return {
    width: o.width,
    height: o.height,
    title: o.title || undefined,
    cursor: {
      drag: { x: true, y: false, setScale: !o.onSelect },
      // No hover dot for raw lines and band edges (their main line has one).
      points: { size: 6, show: (_u: uPlot, si: number) => (o.series[si - 1]?.edge || o.series[si - 1]?.quiet ? (null as unknown as HTMLElement) : hoverDot(6)) },
      // The crosshair follows the hovered chart's x only: its y is a value of another metric, so the
      // other charts draw no horizontal line (matched by value, it showed at the wrong height).
      sync: o.syncKey ? { key: o.syncKey, setSeries: false, scales: ['x', 'y'], match: [(a, b) => a === b, () => false] } : undefined,
    },
    legend: { live: true },
    scales: {
      x: {
        time: o.xKind === 'time',
        range: (_u, min, max) => (min === max || min === null || max === null ? pad(min ?? 0, o.xKind) : [min, max]),
      },
      y: o.logY
        ? { distr: 3, log: 10, range: (_u, min, max) => yRange(min, max, true) }
        : o.yMax !== undefined
          ? { range: [0, o.yMax] }
          : { range: (_u, min, max) => yRange(min, max, false) },
    },
    axes: [
      {
        ...axis,
        label: o.xLabel || undefined,
        labelSize: o.xLabel ? 16 : 0,
        labelFont: '11px system-ui, sans-serif',
        size: 30,
        space: o.xKind === 'time' ? 70 : 60,
        // Steps are whole numbers: no tick at 2.5.
        incrs: o.xKind === 'step' ? STEP_INCRS : undefined,
        splits: o.xKind === 'relative' ? (u, _i, min, max) => durationSplits(min, max, Math.max(2, Math.floor(u.bbox.width / uPlot.pxRatio / 80))) : undefined,
        values: (_u, ticks) => (o.xKind === 'time' ? formatTimeTicks(ticks) : o.xKind === 'relative' ? formatDurationTicks(ticks) : formatTicks(ticks)),
      },
      {
        ...axis,
        size: Y_AXIS_WIDTH,
        values: (u, ticks) =>
          o.yFormat ? ticks.map((t) => (t === null ? '' : o.yFormat!(t))) : o.logY ? formatLogTicks(ticks, u.scales.y.min ?? 0, u.scales.y.max ?? 0) : formatTicks(ticks),
      },
    ],
    series: [
      { label: o.xLabel || (o.xKind === 'time' ? 'time' : 'x'), value: xValue },
      ...o.series.map((s) => ({
        label: s.label,
        stroke: s.edge ? 'transparent' : s.color,
        width: s.edge ? 0 : (s.width ?? 1.5),
        dash: s.dash,
        // Missing points are bridged; on a log axis values ≤ 0 are gaps (null; missing ones are
        // undefined there, see logGaps), so the line never passes over values it cannot show.
        spanGaps: !o.logY,
        points: { show: s.edge ? false : pointsShow, size: 5, fill: s.color },
        value: yValue,
        class: s.quiet || s.edge ? 'quiet' : undefined,
      })),
    ],
    bands: o.bands.map((b) => ({ series: [b.upper, b.lower] as [number, number], fill: b.color })),
    hooks: o.onSelect ? { setSelect: [(u: uPlot) => o.onSelect!(u)] } : undefined,
  };
}

/** A hover dot as uPlot makes its own (uPlot colours and moves it). */
function hoverDot(size: number): HTMLElement {
  const pt = document.createElement('div');
  pt.style.width = pt.style.height = `${size}px`;
  pt.style.marginLeft = pt.style.marginTop = `${-size / 2}px`;
  return pt;
}

const STEP_INCRS: number[] = [];
for (let e = 0; e <= 12; e++) for (const m of [1, 2, 5]) STEP_INCRS.push(m * 10 ** e);

function pad(v: number, kind: XKind): [number, number] {
  const d = kind === 'time' || kind === 'relative' ? 60 : Math.abs(v) >= 1 ? 1 : 0.5;
  return [v - d, v + d];
}
