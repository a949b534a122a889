import { describe, expect, it } from 'vitest';
import { ellipsize, metricFilter, metricPrefix, metricSections, shortNames, toggleFolded } from './metrics';

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
  it('sections TensorBoard tags by their first segment, keeping each full tag', () => {
    // A run of the TensorBoard format: scalar tags as the writer named them.
    const tags = ['loss/train', 'loss/val', 'train/loss', 'eval/accuracy', 'lr', 'eval/loss/smoothed', 'epoch'];
    expect(metricSections(tags, true)).toEqual([
      { name: '', metrics: ['lr', 'epoch'] },
      { name: 'loss', metrics: ['loss/train', 'loss/val'] },
      { name: 'train', metrics: ['train/loss'] },
      { name: 'eval', metrics: ['eval/accuracy', 'eval/loss/smoothed'] },
    ]);
  });
  it('treats a leading or trailing "/" as no prefix and an empty list as no sections', () => {
    expect(metricPrefix('/abs')).toBe('');
    expect(metricPrefix('x/')).toBe('x');
    expect(metricSections([], true)).toEqual([]);
    expect(metricSections([], false)).toEqual([]);
  });
  it('folds a section and unfolds it again, never the unnamed one', () => {
    expect(toggleFolded([], 'loss')).toEqual(['loss']);
    expect(toggleFolded(['loss', 'eval'], 'loss')).toEqual(['eval']);
    expect(toggleFolded(['eval'], '')).toEqual(['eval']);
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
