import { describe, expect, it } from 'vitest';
import { appendPoints, chartData, metricOrder, type SeriesMap } from './series';

const pt = (step: number, values: Record<string, number | null>, epoch: number | null = null) => ({
  step,
  time: 1000 + step,
  epoch,
  values,
});

describe('appendPoints', () => {
  it('appends new points per metric and reports what changed', () => {
    const s: SeriesMap = { loss: { x: [1, 2], y: [1, 0.9] } };
    const changed = appendPoints(s, [pt(3, { loss: 0.8, score: 0.5 }), pt(4, { loss: 0.7 })], 'step');
    expect(changed.sort()).toEqual(['loss', 'score']);
    expect(s.loss).toEqual({ x: [1, 2, 3, 4], y: [1, 0.9, 0.8, 0.7] });
    expect(s.score).toEqual({ x: [3], y: [0.5] });
  });
  it('skips points already present (x not past the last x)', () => {
    const s: SeriesMap = { loss: { x: [1, 2, 3], y: [1, 1, 1] } };
    expect(appendPoints(s, [pt(2, { loss: 5 }), pt(3, { loss: 5 })], 'step')).toEqual([]);
    expect(s.loss.x).toEqual([1, 2, 3]);
  });
  it('uses the chosen x axis and skips points without it', () => {
    const s: SeriesMap = {};
    appendPoints(s, [pt(1, { loss: 1 }, null), pt(2, { loss: 2 }, 0.5), pt(3, { loss: 3 }, 0.5)], 'epoch');
    expect(s.loss).toEqual({ x: [0.5, 0.5], y: [2, 3] });
    const t: SeriesMap = {};
    appendPoints(t, [pt(1, { loss: 1 })], 'time');
    expect(t.loss.x).toEqual([1001]);
  });
  it('keeps points that share a time stamp but drops older ones', () => {
    const s: SeriesMap = { loss: { x: [10, 20], y: [1, 2] } };
    const same = { step: 5, time: 20, epoch: null, values: { loss: 3 } };
    const older = { step: 6, time: 15, epoch: null, values: { loss: 4 } };
    expect(appendPoints(s, [same, older], 'time')).toEqual(['loss']);
    expect(s.loss).toEqual({ x: [10, 20, 20], y: [1, 2, 3] });
  });
});

describe('metricOrder', () => {
  it('keeps the run order and appends unknown metrics sorted', () => {
    expect(metricOrder(['score', 'loss', 'gone'], ['loss', 'acc', 'score', 'b'])).toEqual(['score', 'loss', 'acc', 'b']);
  });
});

describe('chartData', () => {
  it('adds a smoothed line only when smoothing', () => {
    const s = { x: [1, 2], y: [1, 3] };
    expect(chartData(s, 0, false)).toEqual([[1, 2], [1, 3]]);
    const d = chartData(s, 0.5, false);
    expect(d.length).toBe(3);
    expect(d[2][1]).toBeCloseTo(1.75 / 0.75);
  });
  it('drops non-positive values for log scales', () => {
    expect(chartData({ x: [1, 2], y: [0, 2] }, 0, true)[1]).toEqual([null, 2]);
  });
  it('does not share arrays with the source series (uPlot keeps references)', () => {
    const s = { x: [1], y: [1] };
    const d = chartData(s, 0, false);
    s.x.push(2);
    expect(d[0]).toEqual([1]);
  });
});
