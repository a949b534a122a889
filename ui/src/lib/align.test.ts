import { describe, expect, it } from 'vitest';
import { alignSeries, positiveOnly } from './align';

describe('alignSeries', () => {
  it('joins series on the union of x values, null where a series has no point', () => {
    const [x, a, b] = alignSeries([
      { x: [1, 2, 3], y: [10, 20, 30] },
      { x: [2, 4], y: [200, 400] },
    ]);
    expect(x).toEqual([1, 2, 3, 4]);
    expect(a).toEqual([10, 20, 30, null]);
    expect(b).toEqual([null, 200, null, 400]);
  });
  it('sorts unsorted x', () => {
    const [x, a] = alignSeries([{ x: [3, 1], y: [30, 10] }]);
    expect(x).toEqual([1, 3]);
    expect(a).toEqual([10, 30]);
  });
});

describe('positiveOnly', () => {
  it('drops values a log scale cannot show', () => {
    expect(positiveOnly([1, 0, -2, null, 0.5])).toEqual([1, null, null, null, 0.5]);
  });
});
