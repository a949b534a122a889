import { describe, expect, it } from 'vitest';
import { countValues, extent, logGaps, showPoints, skippedNote, yRange } from './scale';

describe('yRange', () => {
  it('gives a constant series a range around it (not a blank chart)', () => {
    expect(yRange(0.5, 0.5, false)).toEqual([0.45, 0.55]);
    expect(yRange(0, 0, false)).toEqual([-1, 1]);
    expect(yRange(-2, -2, false)).toEqual([-2.2, -1.8]);
  });
  it('pads a varying series, not below zero for non-negative data', () => {
    expect(yRange(0, 1, false)).toEqual([0, 1.05]);
    const [lo, hi] = yRange(-1, 1, false);
    expect(lo).toBeCloseTo(-1.1);
    expect(hi).toBeCloseTo(1.1);
  });
  it('on a log axis: whole decades, also for a constant series', () => {
    expect(yRange(0.5, 0.5, true)).toEqual([0.1, 1]);
    expect(yRange(1, 1, true)).toEqual([0.1, 10]);
    expect(yRange(0.002, 0.3, true)).toEqual([0.001, 1]);
    expect(yRange(null, null, true)).toEqual([0.1, 10]);
  });
  it('has a range without data', () => {
    expect(yRange(null, null, false)).toEqual([0, 1]);
  });
});

describe('skippedNote', () => {
  it('says how many values a log axis left out', () => {
    expect(skippedNote(2)).toBe('2 values ≤ 0 not shown (log scale)');
    expect(skippedNote(1)).toBe('1 value ≤ 0 not shown (log scale)');
    expect(skippedNote(0)).toBe('');
  });
});

describe('logGaps', () => {
  it('breaks the line at values ≤ 0 (null) and bridges missing points (undefined)', () => {
    const g = logGaps([1, 0, -2, null, 0.5, undefined]);
    expect(g.values).toEqual([1, null, null, undefined, 0.5, undefined]);
    expect(g.skipped).toBe(2);
  });
  it('returns the same array when every value is positive', () => {
    const values = [1, 2, 3];
    expect(logGaps(values).values).toBe(values);
    expect(logGaps(values).skipped).toBe(0);
  });
});

describe('point markers', () => {
  it('draws a one-point series as a point', () => {
    expect(showPoints(1, 600)).toBe(true);
    expect(showPoints(0, 600)).toBe(false);
  });
  it('draws sparse series with markers and dense ones as lines', () => {
    expect(showPoints(10, 600)).toBe(true);
    expect(showPoints(5000, 600)).toBe(false);
  });
  it('counts finite values and finds their extent', () => {
    expect(countValues([null, 1, NaN, 2])).toBe(2);
    expect(extent([null, 3, -1, 2])).toEqual([-1, 3]);
    expect(extent([null])).toEqual([null, null]);
    expect(extent([5, 1, 9, 2], 1, 2)).toEqual([1, 9]);
  });
});
