import { describe, expect, it } from 'vitest';
import { annotationsByline, laterAnnotations, normalizeTag, suggestTags, withTag, withoutTag } from './annotations';
import type { RunAnnotations } from './api/types';

const blank: RunAnnotations = { note: '', tags: [], starred: false, updated_at: null, updated_by: null };

describe('tag input', () => {
  it('trims what is typed', () => {
    expect(normalizeTag('  best \n')).toBe('best');
  });
  it('adds a new tag at the end', () => {
    expect(withTag(['a'], ' b ')).toEqual(['a', 'b']);
  });
  it('changes nothing for a blank or a tag already there', () => {
    expect(withTag(['a'], '   ')).toBeNull();
    expect(withTag(['a'], 'a ')).toBeNull();
  });
  it('sends what the server must judge as typed (a comma, a long tag)', () => {
    expect(withTag([], 'a,b')).toEqual(['a,b']);
    expect(withTag([], 'x'.repeat(65))).toEqual(['x'.repeat(65)]);
  });
  it('removes one tag', () => {
    expect(withoutTag(['a', 'b', 'c'], 'b')).toEqual(['a', 'c']);
  });
});

describe('suggestTags', () => {
  const known = ['baseline', 'Best', 'sweep-lr', 'lr-best', 'seed'];
  it('offers prefix matches first, then substring ones, each alphabetical, case-insensitive', () => {
    expect(suggestTags(known, [], 'be')).toEqual(['Best', 'lr-best']);
    expect(suggestTags(known, [], 'lr')).toEqual(['lr-best', 'sweep-lr']);
  });
  it('leaves out the tags the run has', () => {
    expect(suggestTags(known, ['Best'], 'be')).toEqual(['lr-best']);
  });
  it('offers every other tag, up to the limit, when nothing is typed', () => {
    expect(suggestTags(known, ['seed'], '', 3)).toEqual(['baseline', 'Best', 'lr-best']);
  });
});

describe('byline', () => {
  it('says who changed the annotations and when', () => {
    expect(annotationsByline({ ...blank, updated_at: 1000, updated_by: 'alice' }, 1000 + 180)).toBe('edited by alice 3 min ago');
  });
  it('is empty for a run never annotated', () => {
    expect(annotationsByline(blank, 5000)).toBe('');
  });
});

describe('laterAnnotations', () => {
  it('keeps the copy changed last', () => {
    const old = { ...blank, note: 'old', updated_at: 10 };
    const fresh = { ...blank, note: 'new', updated_at: 20 };
    expect(laterAnnotations(old, fresh).note).toBe('new');
    expect(laterAnnotations(fresh, old).note).toBe('new');
    expect(laterAnnotations(blank, old).note).toBe('old');
    expect(laterAnnotations(old, undefined).note).toBe('old');
  });
});
