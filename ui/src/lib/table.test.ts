import { describe, expect, it } from 'vitest';
import type { RunState } from './api/types';
import { buildDisplayRows, compareRows, groupKey, isCleanupCandidate, matchesFilter, rowKey, type RunRow } from './table';
import { makeRun } from './testdata';

function row(serverId: string, ...args: Parameters<typeof makeRun>): RunRow {
  const run = makeRun(...args);
  return { key: rowKey(serverId, run.id), serverId, run };
}

const none = new Set<RunState>();

describe('compareRows', () => {
  const a = row('s', { id: 'a', name: 'alpha', score: 0.9, eta: null });
  const b = row('s', { id: 'b', name: 'beta', score: 0.1, eta: 100 });
  const c = row('s', { id: 'c', name: 'gamma', score: null, eta: 50 });

  it('sorts numbers both ways and keeps unknown values last', () => {
    const asc = [a, b, c].sort((x, y) => compareRows(x, y, { column: 'score', direction: 'asc' }));
    expect(asc.map((r) => r.run.id)).toEqual(['b', 'a', 'c']);
    const desc = [a, b, c].sort((x, y) => compareRows(x, y, { column: 'score', direction: 'desc' }));
    expect(desc.map((r) => r.run.id)).toEqual(['a', 'b', 'c']);
    const eta = [a, b, c].sort((x, y) => compareRows(x, y, { column: 'eta', direction: 'desc' }));
    expect(eta.map((r) => r.run.id)).toEqual(['b', 'c', 'a']);
  });

  it('sorts names naturally (run2 before run10)', () => {
    const r10 = row('s', { id: 'x', name: 'run10' });
    const r2 = row('s', { id: 'y', name: 'run2' });
    expect(compareRows(r2, r10, { column: 'name', direction: 'asc' })).toBeLessThan(0);
  });

  it('sorts states by their rank, running first', () => {
    const done = row('s', { id: 'd', state: 'done' });
    const running = row('s', { id: 'r', state: 'running' });
    expect(compareRows(running, done, { column: 'state', direction: 'asc' })).toBeLessThan(0);
  });

  it('sorts by server name', () => {
    const x = row('s1', { id: 'a' });
    const y = row('s2', { id: 'a' });
    const names = { s1: 'zeta', s2: 'alpha' };
    expect(compareRows(x, y, { column: 'server', direction: 'asc' }, names)).toBeGreaterThan(0);
  });
});

describe('matchesFilter', () => {
  const r = row('s1', { id: 'a', name: 'resnet-lr0.1', group: 'vision', phase: 'val', state: 'failed' });
  it('matches every word of the text anywhere in name, group, phase, state or server', () => {
    expect(matchesFilter(r, { text: 'resnet', states: none })).toBe(true);
    expect(matchesFilter(r, { text: 'VISION val', states: none })).toBe(true);
    expect(matchesFilter(r, { text: 'gpu box', states: none }, { s1: 'gpu box' })).toBe(true);
    expect(matchesFilter(r, { text: 'resnet bert', states: none })).toBe(false);
  });
  it('filters by state', () => {
    expect(matchesFilter(r, { text: '', states: new Set<RunState>(['failed', 'dead']) })).toBe(true);
    expect(matchesFilter(r, { text: '', states: new Set<RunState>(['running']) })).toBe(false);
  });
});

describe('buildDisplayRows', () => {
  const rows = [
    row('s', { id: '1', name: 'b1', group: 'B', score: 0.2 }),
    row('s', { id: '2', name: 'a1', group: 'A', score: 0.1 }),
    row('s', { id: '3', name: 'b2', group: 'B', score: 0.9 }),
    row('s', { id: '4', name: 'loose', group: null, score: 0.5 }),
    row('t', { id: '5', name: 'b-other-server', group: 'B', score: 0.3, state: 'done' }),
  ];
  const byScore = { column: 'score', direction: 'desc' } as const;

  it('groups runs per server and folder, ordered by their best run', () => {
    const out = buildDisplayRows(rows, { text: '', states: none }, byScore, new Set());
    expect(out.map((d) => (d.kind === 'group' ? `[${d.serverId}/${d.group}:${d.count}]` : d.row.run.id))).toEqual([
      '[s/B:2]',
      '3',
      '1',
      '4',
      '[t/B:1]',
      '5',
      '[s/A:1]',
      '2',
    ]);
  });

  it('hides the runs of a collapsed group but keeps its header and count', () => {
    const out = buildDisplayRows(rows, { text: '', states: none }, byScore, new Set([groupKey('s', 'B')]));
    const header = out[0];
    expect(header.kind).toBe('group');
    if (header.kind === 'group') {
      expect(header.collapsed).toBe(true);
      expect(header.runKeys).toEqual(['s:3', 's:1']);
    }
    expect(out.some((d) => d.kind === 'run' && d.row.run.group === 'B' && d.row.serverId === 's')).toBe(false);
  });

  it('applies the filter before grouping (empty groups disappear)', () => {
    const out = buildDisplayRows(rows, { text: '', states: new Set<RunState>(['done']) }, byScore, new Set());
    expect(out.map((d) => d.key)).toEqual([groupKey('t', 'B'), 't:5']);
  });

  it('returns the same display object for an unchanged run, a new one for a changed run', () => {
    const first = buildDisplayRows(rows, { text: '', states: none }, byScore, new Set());
    const changed = rows.map((r) => (r.run.id === '3' ? { ...r, run: { ...r.run, score: 0.95 } } : r));
    const second = buildDisplayRows(changed, { text: '', states: none }, byScore, new Set());
    const find = (list: typeof first, id: string) => list.find((d) => d.kind === 'run' && d.row.run.id === id);
    expect(find(second, '1')).toBe(find(first, '1'));
    expect(find(second, '3')).not.toBe(find(first, '3'));
  });

  it('handles 10,000 rows quickly enough for live updates', () => {
    const many: RunRow[] = [];
    for (let i = 0; i < 10_000; i++) many.push(row('s', { id: String(i), name: `run${i}`, group: `g${i % 50}`, score: (i * 7919) % 1000 }));
    const t0 = performance.now();
    const out = buildDisplayRows(many, { text: '', states: none }, byScore, new Set());
    const ms = performance.now() - t0;
    expect(out.length).toBe(10_050);
    expect(ms).toBeLessThan(1000);
  });
});

describe('isCleanupCandidate', () => {
  it('accepts aborted-early, dead, failed and empty runs only', () => {
    expect(isCleanupCandidate(makeRun({ state: 'dead' }))).toBe(true);
    expect(isCleanupCandidate(makeRun({ state: 'failed' }))).toBe(true);
    expect(isCleanupCandidate(makeRun({ state: 'empty' }))).toBe(true);
    expect(isCleanupCandidate(makeRun({ state: 'done', aborted_early: true }))).toBe(true);
    expect(isCleanupCandidate(makeRun({ state: 'running' }))).toBe(false);
    expect(isCleanupCandidate(makeRun({ state: 'done', aborted_early: null }))).toBe(false);
  });
});
