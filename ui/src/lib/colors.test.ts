import { describe, expect, it } from 'vitest';
import { hashString, metricColor, PALETTE, runColor } from './colors';

describe('stable colours', () => {
  it('gives the same key the same colour on every call', () => {
    const keys = ['s1:run-a', 's1:run-b', '127.0.0.1-8080:2024-01-02_10.00.00_run00001'];
    const first = keys.map(runColor);
    for (let i = 0; i < 3; i++) expect(keys.map(runColor)).toEqual(first);
    expect(metricColor('loss')).toBe(metricColor('loss'));
  });
  it('does not depend on the order or the other keys of a list', () => {
    const a = ['x:1', 'x:2', 'x:3'].map(runColor);
    const b = ['x:3', 'x:2', 'x:1'].map(runColor).reverse();
    expect(b).toEqual(a);
  });
  it('picks palette colours, spread over the palette', () => {
    const colors = new Set(Array.from({ length: 200 }, (_, i) => runColor(`s:run${i}`)));
    for (const c of colors) expect(PALETTE).toContain(c);
    expect(colors.size).toBeGreaterThan(PALETTE.length / 2);
  });
  it('keeps runs and metrics apart and the hash fixed (so colours survive reloads and releases)', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
    expect(runColor('loss')).toBe(PALETTE[hashString('run:loss') % PALETTE.length]);
    expect(metricColor('loss')).toBe(PALETTE[hashString('metric:loss') % PALETTE.length]);
  });
});
