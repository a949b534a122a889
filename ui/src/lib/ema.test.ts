import { describe, expect, it } from 'vitest';
import { ema } from './ema';

describe('ema', () => {
  it('returns the values unchanged with weight 0', () => {
    expect(ema([1, 2, 3], 0)).toEqual([1, 2, 3]);
  });
  it('is debiased: the first value is kept, a constant series stays constant', () => {
    expect(ema([5, 5, 5, 5], 0.9)).toEqual([5, 5, 5, 5].map(() => expect.closeTo(5, 10)));
    expect(ema([10], 0.99)[0]).toBeCloseTo(10, 10);
  });
  it('smooths a step change gradually', () => {
    const out = ema([0, 0, 0, 10, 10, 10], 0.5) as number[];
    expect(out[2]).toBeCloseTo(0, 10);
    expect(out[3]).toBeGreaterThan(0);
    expect(out[3]).toBeLessThan(10);
    expect(out[4]).toBeGreaterThan(out[3]);
    expect(out[5]).toBeGreaterThan(out[4]);
    expect(out[5]).toBeLessThan(10);
  });
  it('computes the debiased formula exactly', () => {
    // w = 0.5: last1 = 0.5*1 = 0.5 → /0.5 = 1; last2 = 0.25 + 0.5*3 = 1.75 → /0.75 = 2.333…
    const out = ema([1, 3], 0.5) as number[];
    expect(out[0]).toBeCloseTo(1, 10);
    expect(out[1]).toBeCloseTo(1.75 / 0.75, 10);
  });
  it('keeps gaps as null without breaking the average', () => {
    const out = ema([1, null, 3], 0.5);
    expect(out[1]).toBeNull();
    expect(out[2]).toBeCloseTo(1.75 / 0.75, 10);
  });
});
