import { describe, expect, it } from 'vitest';
import { computeBand, unionX } from './bands';

describe('computeBand', () => {
  it('takes mean, min and max at every x of any run, interpolating runs logged at other x', () => {
    const band = computeBand(
      [
        { x: [0, 2, 4], y: [0, 2, 4] },
        { x: [1, 3], y: [3, 5] },
      ],
      'minmax',
    );
    expect(band.x).toEqual([0, 1, 2, 3, 4]);
    // x=0 and x=4: only the first run covers them; x=2: the second run is interpolated to 4.
    expect(band.count).toEqual([1, 2, 2, 2, 1]);
    expect(band.mean).toEqual([0, 2, 3, 4, 4]);
    expect(band.lower).toEqual([0, 1, 2, 3, 4]);
    expect(band.upper).toEqual([0, 3, 4, 5, 4]);
  });
  it('gives mean ± population std', () => {
    const band = computeBand(
      [
        { x: [1, 2], y: [1, 10] },
        { x: [1, 2], y: [3, 10] },
      ],
      'std',
    );
    expect(band.mean).toEqual([2, 10]);
    expect(band.lower).toEqual([1, 10]);
    expect(band.upper).toEqual([3, 10]);
  });
  it('skips nulls and non-finite values, and leaves x without any run empty', () => {
    const band = computeBand([{ x: [1, 2, 3], y: [1, null, 3] }, { x: [5], y: [NaN] }], 'minmax');
    expect(band.x).toEqual([1, 2, 3, 5]);
    expect(band.mean).toEqual([1, 2, 3, null]);
    expect(band.count).toEqual([1, 1, 1, 0]);
  });
  it('joins x values sorted and distinct', () => {
    expect(unionX([{ x: [3, 1], y: [] }, { x: [1, 2], y: [] }])).toEqual([1, 2, 3]);
  });
});
