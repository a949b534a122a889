import { describe, expect, it } from 'vitest';
import type { RunParams } from '../../lib/api/types';
import { groupRuns, paramRows, paramText } from './compare';

const runs: RunParams[] = [
  { lr: 0.1, seed: 1, model: 'resnet' },
  { lr: 0.1, seed: 2, model: 'resnet' },
  { lr: 0.01, seed: 1, model: 'resnet' },
  { lr: 0.01, seed: 2, model: 'resnet', extra: true },
];

describe('paramRows', () => {
  it('lists every key, sorted, with whether the runs differ', () => {
    const rows = paramRows(runs);
    expect(rows.map((r) => [r.key, r.differs])).toEqual([
      ['extra', true],
      ['lr', true],
      ['model', false],
      ['seed', true],
    ]);
    expect(rows[0].values).toEqual([undefined, undefined, undefined, true]);
  });
  it('tells 1 from "1"', () => {
    expect(paramRows([{ a: 1 }, { a: '1' }])[0].differs).toBe(true);
    expect(paramText([1, 2])).toBe('[1,2]');
    expect(paramText(null)).toBe('null');
  });
});

describe('groupRuns', () => {
  it('puts runs that differ only by the chosen param into one group', () => {
    const g = groupRuns(
      runs.map(({ lr, seed }) => ({ lr, seed }) as RunParams),
      'seed',
    );
    expect(g.map((x) => [x.label, x.members])).toEqual([
      ['lr=0.1', [0, 1]],
      ['lr=0.01', [2, 3]],
    ]);
  });
  it('keeps runs apart that differ by another key too', () => {
    const g = groupRuns(runs, 'seed');
    expect(g.map((x) => x.members)).toEqual([[0, 1], [2], [3]]);
  });
  it('makes one group when nothing else differs', () => {
    expect(groupRuns([{ seed: 1 }, { seed: 2 }], 'seed')).toEqual([{ key: 'all', label: 'all runs', members: [0, 1] }]);
  });
});
