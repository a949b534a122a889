import { describe, expect, it } from 'vitest';
import type { MetricValues, RunAnnotations, RunParams, RunState } from './api/types';
import { compileQuery, type EvalContext } from './query';
import {
  buildDisplayRows,
  columnLabel,
  compareRows,
  countRuns,
  groupKey,
  groupRows,
  isCleanupCandidate,
  paramColumn,
  paramGroupKey,
  paramValues,
  metricColumn,
  parseColumn,
  rowKey,
  shownEta,
  sortRows,
  type DisplayOptions,
  type RunRow,
} from './table';
import { makeIdleRun, makeRun, makeTensorboardRun } from './testdata';

/** A context over plain maps (the runs store in the app). */
function context(
  names: Record<string, string> = {},
  params: Record<string, RunParams> = {},
  values: Record<string, Record<string, MetricValues>> = {},
  annotations: Record<string, Partial<RunAnnotations>> = {},
): EvalContext {
  return {
    params: (k) => params[k] ?? {},
    values: (k) => values[k] ?? {},
    annotations: (k) => ({ note: '', tags: [], starred: false, updated_at: null, updated_by: null, ...annotations[k] }),
    serverName: (id) => names[id] ?? id,
  };
}
const plain = context();

function options(over: Partial<DisplayOptions> = {}): DisplayOptions {
  return {
    states: none,
    predicate: null,
    sort: { column: 'updated', direction: 'desc' },
    groupBy: { kind: 'folder' },
    collapsed: new Set(),
    ...over,
  };
}

const none = new Set<RunState>();

function row(serverId: string, ...args: Parameters<typeof makeRun>): RunRow {
  const run = makeRun(...args);
  return { key: rowKey(serverId, run.id), serverId, run };
}


describe('compareRows', () => {
  const a = row('s', { id: 'a', name: 'alpha', score: 0.9, eta: null });
  const b = row('s', { id: 'b', name: 'beta', score: 0.1, eta: 100 });
  const c = row('s', { id: 'c', name: 'gamma', score: null, eta: 50 });

  it('sorts numbers both ways and keeps unknown values last', () => {
    const asc = [a, b, c].sort((x, y) => compareRows(x, y, { column: 'score', direction: 'asc' }, plain));
    expect(asc.map((r) => r.run.id)).toEqual(['b', 'a', 'c']);
    const desc = [a, b, c].sort((x, y) => compareRows(x, y, { column: 'score', direction: 'desc' }, plain));
    expect(desc.map((r) => r.run.id)).toEqual(['a', 'b', 'c']);
    const eta = [a, b, c].sort((x, y) => compareRows(x, y, { column: 'eta', direction: 'desc' }, plain));
    expect(eta.map((r) => r.run.id)).toEqual(['b', 'c', 'a']);
  });

  it('sorts names naturally (run2 before run10)', () => {
    const r10 = row('s', { id: 'x', name: 'run10' });
    const r2 = row('s', { id: 'y', name: 'run2' });
    expect(compareRows(r2, r10, { column: 'name', direction: 'asc' }, plain)).toBeLessThan(0);
  });

  it('sorts states by their rank, running first', () => {
    const done = row('s', { id: 'd', state: 'done' });
    const running = row('s', { id: 'r', state: 'running' });
    expect(compareRows(running, done, { column: 'state', direction: 'asc' }, plain)).toBeLessThan(0);
    // Idle sits between paused and done: it may have finished, or stopped.
    const idle = row('s', { id: 'i', state: 'idle' });
    const paused = row('s', { id: 'p', state: 'paused' });
    expect(compareRows(paused, idle, { column: 'state', direction: 'asc' }, plain)).toBeLessThan(0);
    expect(compareRows(idle, done, { column: 'state', direction: 'asc' }, plain)).toBeLessThan(0);
  });

  it('sorts by server name', () => {
    const x = row('s1', { id: 'a' });
    const y = row('s2', { id: 'a' });
    const names = { s1: 'zeta', s2: 'alpha' };
    expect(compareRows(x, y, { column: 'server', direction: 'asc' }, context(names))).toBeGreaterThan(0);
  });
});

describe('text filter (bare words of the query)', () => {
  const r = row('s1', { id: 'a', name: 'resnet-lr0.1', group: 'vision', phase: 'val', state: 'failed' });
  const keeps = (text: string, names: Record<string, string> = {}) =>
    compileQuery(text, { paramKeys: [], metricNames: [] }).predicate(r, context(names));
  it('matches every word of the text anywhere in name, group, phase, state or server', () => {
    expect(keeps('resnet')).toBe(true);
    expect(keeps('VISION val')).toBe(true);
    expect(keeps('gpu box', { s1: 'gpu box' })).toBe(true);
    expect(keeps('resnet bert')).toBe(false);
  });
  it('filters by state', () => {
    const out = buildDisplayRows([r], options({ states: new Set<RunState>(['failed', 'dead']) }), plain);
    expect(countRuns(out)).toBe(1);
    expect(countRuns(buildDisplayRows([r], options({ states: new Set<RunState>(['running']) }), plain))).toBe(0);
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
    const out = buildDisplayRows(rows, options({ sort: byScore }), plain);
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
    const out = buildDisplayRows(rows, options({ sort: byScore, collapsed: new Set([groupKey('s', 'B')]) }), plain);
    const header = out[0];
    expect(header.kind).toBe('group');
    if (header.kind === 'group') {
      expect(header.collapsed).toBe(true);
      expect(header.runKeys).toEqual(['s:3', 's:1']);
    }
    expect(out.some((d) => d.kind === 'run' && d.row.run.group === 'B' && d.row.serverId === 's')).toBe(false);
  });

  it('applies the filter before grouping (empty groups disappear)', () => {
    const out = buildDisplayRows(rows, options({ sort: byScore, states: new Set<RunState>(['done']) }), plain);
    expect(out.map((d) => d.key)).toEqual([groupKey('t', 'B'), 't:5']);
  });

  it('returns the same display object for an unchanged run, a new one for a changed run', () => {
    const first = buildDisplayRows(rows, options({ sort: byScore }), plain);
    const changed = rows.map((r) => (r.run.id === '3' ? { ...r, run: { ...r.run, score: 0.95 } } : r));
    const second = buildDisplayRows(changed, options({ sort: byScore }), plain);
    const find = (list: typeof first, id: string) => list.find((d) => d.kind === 'run' && d.row.run.id === id);
    expect(find(second, '1')).toBe(find(first, '1'));
    expect(find(second, '3')).not.toBe(find(first, '3'));
  });

  it('handles 10,000 rows quickly enough for live updates', () => {
    const many: RunRow[] = [];
    for (let i = 0; i < 10_000; i++) many.push(row('s', { id: String(i), name: `run${i}`, group: `g${i % 50}`, score: (i * 7919) % 1000 }));
    const t0 = performance.now();
    const out = buildDisplayRows(many, options({ sort: byScore }), plain);
    const ms = performance.now() - t0;
    expect(out.length).toBe(10_050);
    expect(ms).toBeLessThan(1000);
  });
});

describe('columns', () => {
  it('parses builtin, param and metric column ids and labels them', () => {
    expect(parseColumn('score')).toEqual({ kind: 'builtin', id: 'score' });
    expect(parseColumn(paramColumn('optimizer.lr'))).toEqual({ kind: 'param', key: 'optimizer.lr' });
    expect(parseColumn(metricColumn('min', 'val:loss'))).toEqual({ kind: 'metric', agg: 'min', name: 'val:loss' });
    expect(parseColumn('nope')).toBeNull();
    expect(columnLabel(metricColumn('max', 'acc'))).toBe('max(acc)');
    expect(columnLabel(metricColumn('last', 'acc'))).toBe('acc');
    expect(columnLabel('eta')).toBe('ETA');
  });
});

describe('sorting by params and metric values', () => {
  const rows = [
    row('s', { id: 'a', name: 'a' }),
    row('s', { id: 'b', name: 'b' }),
    row('s', { id: 'c', name: 'c' }),
    row('s', { id: 'd', name: 'd' }),
  ];
  const ctx = context(
    {},
    { 's:a': { lr: 0.1, model: 'vit' }, 's:b': { lr: 0.001, model: 'resnet18' }, 's:c': { model: 'resnet101' }, 's:d': { lr: 0.01 } },
    { 's:a': { loss: { last: 0.5, min: 0.2, max: 2 } }, 's:b': { loss: { last: 0.3, min: 0.25, max: 3 } }, 's:d': { loss: { last: null, min: null, max: null } } },
    { 's:c': { starred: true, tags: ['best'] } },
  );
  const ids = (column: string, direction: 'asc' | 'desc') => sortRows(rows, { column, direction }, ctx).map((r) => r.run.id);

  it('sorts by a numeric param both ways, runs without it last', () => {
    expect(ids('param:lr', 'asc')).toEqual(['b', 'd', 'a', 'c']);
    expect(ids('param:lr', 'desc')).toEqual(['a', 'd', 'b', 'c']);
  });
  it('sorts a text param naturally (resnet18 before resnet101)', () => {
    expect(ids('param:model', 'asc')).toEqual(['b', 'c', 'a', 'd']);
  });
  it('sorts by a metric last / min / max, nulls last', () => {
    expect(ids('metric:last:loss', 'asc')).toEqual(['b', 'a', 'c', 'd']);
    expect(ids('metric:min:loss', 'asc')).toEqual(['a', 'b', 'c', 'd']);
    expect(ids('metric:max:loss', 'desc')).toEqual(['b', 'a', 'c', 'd']);
    expect(ids('metric:max:loss', 'asc')).toEqual(['a', 'b', 'c', 'd']);
  });
  it('sorts by the star and by tags', () => {
    expect(ids('starred', 'desc')[0]).toBe('c');
    expect(ids('tags', 'asc')[0]).toBe('c');
  });
  it('sorts the flat view across every folder and server (a leaderboard)', () => {
    const mixed = [
      row('s', { id: '1', group: 'A', score: 0.2 }),
      row('t', { id: '2', group: 'B', score: 0.9 }),
      row('s', { id: '3', group: 'B', score: 0.5 }),
      row('s', { id: '4', group: null, score: 0.7 }),
    ];
    const out = buildDisplayRows(mixed, options({ sort: { column: 'score', direction: 'desc' }, groupBy: { kind: 'none' } }), plain);
    expect(out.map((d) => d.key)).toEqual(['t:2', 's:4', 's:3', 's:1']);
    expect(out.every((d) => d.kind === 'run' && !d.grouped)).toBe(true);
  });
});

describe('grouping by a param', () => {
  const rows = [1, 2, 3, 4, 5].map((i) => row(i % 2 ? 's' : 't', { id: String(i), name: `r${i}`, score: i / 10 }));
  const ctx = context({}, { 's:1': { seed: 1 }, 't:2': { seed: 2 }, 's:3': { seed: 1 }, 't:4': { seed: 1 } });
  const sort = { column: 'score', direction: 'desc' } as const;

  it('groups across servers with each group\'s count, ordered by its best run; runs without it in "(none)"', () => {
    const out = groupRows(sortRows(rows, sort, ctx), { kind: 'param', key: 'seed' }, new Set(), ctx);
    expect(out.map((d) => (d.kind === 'group' ? `[${d.group}:${d.count}]` : d.row.run.id))).toEqual(['[(none):1]', '5', '[1:3]', '4', '3', '1', '[2:1]', '2']);
    const g = out.find((d) => d.kind === 'group' && d.group === '1');
    expect(g && g.kind === 'group' && g.serverId).toBeNull();
  });
  it('collapses a param group to its header', () => {
    const out = groupRows(sortRows(rows, sort, ctx), { kind: 'param', key: 'seed' }, new Set([paramGroupKey('seed', '1')]), ctx);
    expect(out.filter((d) => d.kind === 'run').map((d) => d.key)).toEqual(['s:5', 't:2']);
    expect(countRuns(out)).toBe(5);
  });
  it('lists a param\'s values, most common first', () => {
    expect(paramValues(rows, 'seed', ctx)).toEqual(['1', '2']);
  });
});

describe('ETA', () => {
  it('shows none for a run that is not running', () => {
    expect(shownEta(makeRun({ state: 'running', eta: 60 }))).toBe(60);
    for (const state of ['done', 'failed', 'dead', 'paused', 'idle'] as const) expect(shownEta(makeRun({ state, eta: 60 }))).toBeNull();
    expect(shownEta(makeIdleRun())).toBeNull();
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
    // An idle run may well have finished: never a candidate by its state alone.
    expect(isCleanupCandidate(makeIdleRun())).toBe(false);
    expect(isCleanupCandidate(makeTensorboardRun())).toBe(false);
  });
});

describe('differingParams', () => {
  it('picks the keys that tell most runs apart, fewest distinct values first', async () => {
    const { differingParams } = await import('./table');
    const runs = [
      { lr: 0.1, seed: 0, model: 'resnet', epochs: 10, id: 'a' },
      { lr: 0.1, seed: 1, model: 'resnet', epochs: 10, id: 'b' },
      { lr: 0.01, seed: 2, model: 'vit', epochs: 10, id: 'c' },
      { lr: 0.01, seed: 0, model: 'vit', epochs: 10, id: 'd', rare: 1 },
      {},
    ];
    // epochs is equal everywhere, id a text unique to every run, rare on one run only.
    expect(differingParams(runs)).toEqual(['lr', 'model', 'seed']);
    expect(differingParams(runs, 1)).toEqual(['lr']);
    // A number unique to every run is a sweep: kept.
    const sweep = [0.1, 0.03, 0.01, 0.003].map((lr, i) => ({ lr, name: `run${i}` }));
    expect(differingParams(sweep)).toEqual(['lr']);
    expect(differingParams([{ lr: 1 }, { lr: 1 }])).toEqual([]);
    expect(differingParams([])).toEqual([]);
  });
});
