import { describe, expect, it } from 'vitest';
import { axisPosition, buildAxis, niceTicks } from './parallel';

describe('parallel coordinates scaling', () => {
  it('scales numeric axes linearly from min to max', () => {
    const a = buildAxis('lr', [0.1, 0.3, 0.2, undefined]);
    expect(a.kind).toBe('number');
    expect(a.domain).toEqual([0.1, 0.3]);
    expect(axisPosition(a, 0.1)).toBe(0);
    expect(axisPosition(a, 0.3)).toBe(1);
    expect(axisPosition(a, 0.2)).toBeCloseTo(0.5);
    expect(axisPosition(a, undefined)).toBeNull();
    expect(a.ticks.map((t) => t.label)).toEqual(['0.1', '0.15', '0.2', '0.25', '0.3']);
    expect(a.ticks[0]).toEqual({ at: 0, label: '0.1' });
  });
  it('picks round tick values', () => {
    expect(niceTicks(0.01, 0.1, 5)).toEqual([0.02, 0.04, 0.06, 0.08, 0.1]);
    expect(niceTicks(0, 100, 4)).toEqual([0, 50, 100]);
  });
  it('puts a constant numeric axis in the middle', () => {
    const a = buildAxis('seed', [7, 7]);
    expect(axisPosition(a, 7)).toBe(0.5);
    expect(a.ticks).toEqual([{ at: 0.5, label: '7' }]);
  });
  it('spreads categories evenly in natural order', () => {
    const a = buildAxis('model', ['resnet50', 'resnet18', 'vit', 'resnet18']);
    expect(a.kind).toBe('category');
    expect(a.categories).toEqual(['resnet18', 'resnet50', 'vit']);
    expect(axisPosition(a, 'resnet18')).toBe(0);
    expect(axisPosition(a, 'resnet50')).toBe(0.5);
    expect(axisPosition(a, 'vit')).toBe(1);
    expect(axisPosition(a, 'other')).toBeNull();
  });
  it('treats mixed values (numbers and text, booleans) as categories', () => {
    const a = buildAxis('x', [1, 'a', true]);
    expect(a.kind).toBe('category');
    expect(a.categories).toEqual(['1', 'a', 'true']);
    expect(axisPosition(a, true)).toBe(1);
  });
});
