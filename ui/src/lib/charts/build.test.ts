import { describe, expect, it } from 'vitest';
import { firstX, groupChart, overlayChart, shiftX, withAlpha } from './build';

describe('overlayChart', () => {
  it('aligns runs on the union of their x, one line per run', () => {
    const c = overlayChart(
      [
        { key: 'a', label: 'A', color: '#112233', series: { x: [1, 2], y: [1, 2] } },
        { key: 'b', label: 'B', color: '#445566', series: { x: [2, 3], y: [5, 6] } },
      ],
      0,
    );
    expect(c.data).toEqual([
      [1, 2, 3],
      [1, 2, null],
      [null, 5, 6],
    ]);
    expect(c.keys).toEqual(['a', 'b']);
    expect(c.series.map((s) => s.quiet ?? false)).toEqual([false, false]);
  });
  it('with smoothing keeps each raw line faint beneath its smoothed line', () => {
    const c = overlayChart([{ key: 'a', label: 'A', color: '#112233', series: { x: [1, 2, 3], y: [0, 10, 0] } }], 0.5);
    expect(c.series).toHaveLength(2);
    expect(c.series[0]).toMatchObject({ quiet: true, color: '#1122334d' });
    expect(c.series[1]).toMatchObject({ label: 'A', color: '#112233' });
    expect(c.data[1]).toEqual([0, 10, 0]);
    expect(c.data[2]).not.toEqual([0, 10, 0]);
    expect(c.keys).toEqual([null, 'a']);
  });
  it('draws a one-point series as data (the chart marks it with a point)', () => {
    const c = overlayChart([{ key: 'a', label: 'A', color: '#000000', series: { x: [5], y: [0.3] } }], 0);
    expect(c.data).toEqual([[5], [0.3]]);
  });
});

describe('groupChart', () => {
  it('draws each group as its mean, with a band and its count in the legend', () => {
    const c = groupChart(
      [
        { key: 'g1', label: 'lr=0.1', color: '#aa0000', members: [{ x: [0, 1], y: [1, 3] }, { x: [0, 1], y: [3, 5] }] },
        { key: 'g2', label: 'lr=0.01', color: '#00aa00', members: [{ x: [0, 1], y: [7, 7] }] },
      ],
      'minmax',
      0,
    );
    expect(c.series[0].label).toBe('lr=0.1 (2 runs)');
    expect(c.series[3].label).toBe('lr=0.01 (1 run)');
    expect(c.data[1]).toEqual([2, 4]); // mean
    expect(c.data[2]).toEqual([3, 5]); // upper
    expect(c.data[3]).toEqual([1, 3]); // lower
    expect(c.bands).toEqual([{ upper: 2, lower: 3, color: withAlpha('#aa0000', 0.25) }]);
    expect(c.keys).toEqual(['g1', null, null, 'g2', null, null]);
  });
});

describe('helpers', () => {
  it('shifts x for relative time and finds a run’s first x', () => {
    expect(shiftX({ x: [100, 160], y: [1, 2] }, 100)).toEqual({ x: [0, 60], y: [1, 2] });
    const s = { x: [1], y: [1] };
    expect(shiftX(s, 0)).toBe(s);
    expect(firstX({ a: { x: [50, 60], y: [1, 1] }, b: { x: [40], y: [1] } })).toBe(40);
    expect(firstX(null)).toBe(0);
  });
  it('adds an alpha to hex colours only', () => {
    expect(withAlpha('#ffffff', 0.5)).toBe('#ffffff80');
    expect(withAlpha('red', 0.5)).toBe('red');
  });
});
