import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, readSettings, settingsQuery, writeSettings, type ChartSettings } from './settings';

describe('chart settings in the URL', () => {
  it('round-trips every setting', () => {
    const s: ChartSettings = {
      x: 'relative',
      logY: true,
      smoothing: 0.6,
      filter: 'loss|acc$',
      sections: false,
      full: 'loss/train',
      group: 'seed',
      band: 'std',
      hidden: ['a.b', 'c'],
      diffOnly: true,
      pcParams: ['lr', 'optimizer.name'],
      pcMetric: 'val/acc',
      points: 10000,
    };
    const q = writeSettings(s);
    expect(readSettings(new URLSearchParams(q.toString()))).toEqual(s);
  });
  it('leaves defaults out of the URL and reads a bare URL as defaults', () => {
    expect(writeSettings({ ...DEFAULT_SETTINGS }).toString()).toBe('');
    expect(readSettings(new URLSearchParams(''))).toEqual(DEFAULT_SETTINGS);
  });
  it('ignores invalid values', () => {
    const s = readSettings(new URLSearchParams('x=bogus&smooth=-1&points=abc&band=zzz'));
    expect(s.x).toBe('step');
    expect(s.smoothing).toBe(0);
    expect(s.points).toBe(0);
    expect(s.band).toBe('minmax');
  });
  it('keeps the route’s other keys (the runs) and writes them readably', () => {
    const text = settingsQuery({ ...DEFAULT_SETTINGS, x: 'epoch', smoothing: 0.5 }, '#/compare?runs=s1:a,s1:b&x=time');
    expect(text).toBe('runs=s1:a,s1:b&x=epoch&smooth=0.5');
    expect(settingsQuery({ ...DEFAULT_SETTINGS }, '#/run/s/r?x=time')).toBe('');
  });
});

describe('defaultPoints', () => {
  it('asks fewer points per series when many runs share a chart', async () => {
    const { defaultPoints, DEFAULT_POINTS } = await import('./settings');
    expect(defaultPoints(1)).toBe(DEFAULT_POINTS);
    expect(defaultPoints(5)).toBe(DEFAULT_POINTS);
    expect(defaultPoints(6)).toBe(400);
    expect(defaultPoints(20)).toBe(400);
  });
});
