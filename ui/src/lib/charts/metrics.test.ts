import { describe, expect, it } from 'vitest';
import { ellipsize, metricFilter, metricPrefix, metricSections, shortNames } from './metrics';

describe('metric filter', () => {
  it('matches a case-insensitive regex', () => {
    const f = metricFilter('^loss|ACC$');
    expect(f.error).toBe('');
    expect(['loss/train', 'val/acc', 'lr'].filter(f.test)).toEqual(['loss/train', 'val/acc']);
  });
  it('says when the regex is invalid, and falls back to plain text', () => {
    const f = metricFilter('loss(');
    expect(f.error).toMatch(/^Not a valid regex/);
    expect(f.test('loss(x)')).toBe(true);
    expect(f.test('acc')).toBe(false);
  });
  it('matches everything when empty', () => {
    expect(metricFilter('  ').test('x')).toBe(true);
  });
});

describe('metric sections', () => {
  it('groups by the prefix before "/", plain metrics first', () => {
    expect(metricPrefix('loss/train')).toBe('loss');
    expect(metricPrefix('lr')).toBe('');
    expect(metricSections(['loss/train', 'lr', 'val/acc', 'loss/val'], true)).toEqual([
      { name: '', metrics: ['lr'] },
      { name: 'loss', metrics: ['loss/train', 'loss/val'] },
      { name: 'val', metrics: ['val/acc'] },
    ]);
    expect(metricSections(['b', 'a/x'], false)).toEqual([{ name: '', metrics: ['b', 'a/x'] }]);
  });
});

describe('short legend names', () => {
  it('keeps the part that differs', () => {
    expect(shortNames(['2024-01-02_10.00.00_run00001', '2024-01-02_10.00.00_run00002'])).toEqual(['run00001', 'run00002']);
    expect(shortNames(['lr_sweep_0.1', 'lr_sweep_0.01'])).toEqual(['0.1', '0.01']);
  });
  it('keeps names whole when cutting would make them equal, and cuts long ones in the middle', () => {
    expect(shortNames(['a', 'b'])).toEqual(['a', 'b']);
    expect(ellipsize('abcdefghijkl', 7)).toBe('abc…jkl');
    expect(shortNames(['x'.repeat(40)], 10)[0]).toHaveLength(10);
  });
});
