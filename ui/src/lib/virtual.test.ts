import { describe, expect, it } from 'vitest';
import { virtualWindow } from './virtual';

describe('virtualWindow', () => {
  it('renders only the visible rows plus overscan at the top', () => {
    const w = virtualWindow(0, 300, 30, 10_000, 5);
    expect(w.start).toBe(0);
    expect(w.end).toBe(0 + 11 + 5);
    expect(w.offset).toBe(0);
    expect(w.total).toBe(300_000);
  });
  it('windows the middle of a long list', () => {
    const w = virtualWindow(30_000, 300, 30, 10_000, 5);
    expect(w.start).toBe(995);
    expect(w.end).toBe(1000 + 11 + 5);
    expect(w.offset).toBe(995 * 30);
  });
  it('clamps scrolling past the end', () => {
    const w = virtualWindow(1e9, 300, 30, 100, 5);
    expect(w.end).toBe(100);
    expect(w.start).toBe(90 - 5);
  });
  it('handles short and empty lists', () => {
    expect(virtualWindow(0, 600, 30, 3, 5)).toEqual({ start: 0, end: 3, offset: 0, total: 90 });
    expect(virtualWindow(50, 600, 30, 0, 5)).toEqual({ start: 0, end: 0, offset: 0, total: 0 });
  });
  it('never renders more than viewport/rowHeight + 2*overscan + 1 rows', () => {
    for (let top = 0; top < 300_000; top += 7_777) {
      const w = virtualWindow(top, 400, 28, 10_000, 6);
      expect(w.end - w.start).toBeLessThanOrEqual(Math.ceil(400 / 28) + 1 + 12);
      expect(w.offset).toBe(w.start * 28);
    }
  });
});
