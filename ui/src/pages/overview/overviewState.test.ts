import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeOverviewState, defaultOverviewState } from '../../lib/urlState';
import { COLUMNS_KEY, OverviewState, type UrlWriter } from './overviewState.svelte';

function fakeUrl() {
  const calls: string[] = [];
  let hash = '#/overview';
  const url: UrlWriter = {
    current: () => hash,
    replace: (h) => {
      calls.push(`replace ${h}`);
      hash = h;
    },
    push: (h) => {
      calls.push(`push ${h}`);
      hash = h;
    },
  };
  return { url, calls, hash: () => hash };
}

function memoryStorage(initial: Record<string, string> = {}) {
  const data = { ...initial };
  return { getItem: (k: string) => data[k] ?? null, setItem: (k: string, v: string) => void (data[k] = v), data };
}

describe('OverviewState', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('replaces the history entry while typing, at most every 150 ms, and flushes before leaving', () => {
    const { url, calls, hash } = fakeUrl();
    const s = new OverviewState(url, null);
    s.setQuery('l');
    vi.advanceTimersByTime(1);
    s.setQuery('lr');
    s.setQuery('lr <');
    expect(calls).toEqual(['replace #/overview?q=l']);
    vi.advanceTimersByTime(200);
    expect(calls).toEqual(['replace #/overview?q=l', 'replace #/overview?q=lr+%3C']);
    s.setQuery('lr < 1');
    s.flush();
    expect(calls.at(-1)).toBe('replace #/overview?q=lr+%3C+1');
    expect(decodeOverviewState(hash().split('?')[1]).query).toBe('lr < 1');
  });

  it('pushes one history entry per discrete change, at once', () => {
    const { url, calls } = fakeUrl();
    const s = new OverviewState(url, null);
    s.sortBy('name');
    s.setLayout('flat');
    s.toggleState('done');
    expect(calls).toEqual(['push #/overview?sort=name&dir=asc', 'push #/overview?sort=name&dir=asc&view=flat', 'push #/overview?sort=name&dir=asc&view=flat&states=done']);
  });

  it('pushes a history entry for sort, layout, grouping and state chips', () => {
    const { url, calls } = fakeUrl();
    const s = new OverviewState(url, null);
    s.sortBy('param:lr');
    s.sortBy('param:lr');
    s.setLayout('flat');
    s.setGrouping({ kind: 'param', key: 'seed' });
    s.toggleState('running');
    expect(calls.every((c) => c.startsWith('push '))).toBe(true);
    expect(calls.length).toBe(5);
    const last = decodeOverviewState(calls.at(-1)!.split('?')[1]);
    expect(last.sort).toEqual({ column: 'param:lr', direction: 'desc' });
    // Grouping by a param switches back to the grouped layout.
    expect(last.layout).toBe('grouped');
    expect(last.grouping).toEqual({ kind: 'param', key: 'seed' });
    expect(last.states).toEqual(['running']);
  });

  it('keeps the selection in the URL without adding entries', () => {
    const { url, calls } = fakeUrl();
    const s = new OverviewState(url, null);
    s.toggleSelected('srv:a');
    s.setSelected(['srv:b', 'srv:c'], true);
    s.toggleSelected('srv:a');
    expect(calls).toEqual([]); // written after the frame that shows the change
    vi.advanceTimersByTime(1);
    expect(calls.length).toBe(1);
    expect(calls.every((c) => c.startsWith('replace '))).toBe(true);
    expect(decodeOverviewState(calls.at(-1)!.split('?')[1]).selected).toEqual(['srv:b', 'srv:c']);
  });

  it('applies a URL state (Back) without writing, and drops a pending typed change', () => {
    const { url, calls } = fakeUrl();
    const s = new OverviewState(url, null);
    s.setQuery('a');
    s.setQuery('ab');
    const before = calls.length;
    s.apply({ ...defaultOverviewState(), query: 'resnet', selected: ['s:1'] });
    vi.advanceTimersByTime(500);
    expect(calls.length).toBe(before);
    expect(s.query).toBe('resnet');
    expect([...s.selected]).toEqual(['s:1']);
    expect(s.matches({ ...defaultOverviewState(), query: 'resnet', selected: ['s:1'] })).toBe(true);
  });

  it('saves the columns in this browser and ignores a broken entry', () => {
    const storage = memoryStorage();
    const s = new OverviewState(fakeUrl().url, storage);
    s.setColumns(['name', 'param:lr', 'metric:min:loss', 'name']);
    expect(JSON.parse(storage.data[COLUMNS_KEY])).toEqual(['name', 'param:lr', 'metric:min:loss']);
    expect(new OverviewState(fakeUrl().url, storage).columns).toEqual(['name', 'param:lr', 'metric:min:loss']);
    const broken = memoryStorage({ [COLUMNS_KEY]: '{nope' });
    expect(new OverviewState(fakeUrl().url, broken).columns).toContain('score');
  });
});
