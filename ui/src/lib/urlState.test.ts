import { describe, expect, it } from 'vitest';
import { parseHash } from './router';
import { decodeOverviewState, defaultOverviewState, encodeOverviewState, overviewHash, type OverviewUrlState } from './urlState';

describe('overview URL state', () => {
  it('leaves the defaults out of the URL', () => {
    expect(encodeOverviewState(defaultOverviewState())).toBe('');
    expect(overviewHash(defaultOverviewState())).toBe('#/overview');
  });

  it('round-trips every field through the hash route', () => {
    const state: OverviewUrlState = {
      query: 'lr < 0.01 and model = "resnet 50" & tag ~ /a,b/',
      sort: { column: 'metric:min:val_loss', direction: 'asc' },
      layout: 'flat',
      grouping: { kind: 'param', key: 'optimizer.seed' },
      states: ['failed', 'running'],
      selected: ['127.0.0.1-8080:abc123', 'gpu-box:def456'],
    };
    const hash = overviewHash(state);
    const route = parseHash(hash);
    expect(route.parts).toEqual(['overview']);
    const back = decodeOverviewState(route.query);
    expect(back).toEqual({ ...state, states: ['running', 'failed'] });
    // And once more: stable.
    expect(overviewHash(back)).toBe(hash);
  });

  it('round-trips a param sort and a grouping by param in the grouped view', () => {
    const state: OverviewUrlState = { ...defaultOverviewState(), sort: { column: 'param:lr', direction: 'desc' }, grouping: { kind: 'param', key: 'seed' } };
    expect(decodeOverviewState(encodeOverviewState(state))).toEqual(state);
  });

  it('falls back to the defaults for what it does not understand', () => {
    const s = decodeOverviewState('?sort=bogus&dir=up&view=tiles&group=weird&states=running,nope,running&sel=bad,s:1');
    expect(s.sort).toEqual(defaultOverviewState().sort);
    expect(s.layout).toBe('grouped');
    expect(s.grouping).toEqual({ kind: 'folder' });
    expect(s.states).toEqual(['running']);
    expect(s.selected).toEqual(['s:1']);
  });

  it('keeps the idle state chip in the address, in the table order', () => {
    const state: OverviewUrlState = { ...defaultOverviewState(), states: ['done', 'idle', 'running'] };
    expect(new URLSearchParams(encodeOverviewState(state)).get('states')).toBe('running,idle,done');
    expect(decodeOverviewState(encodeOverviewState(state)).states).toEqual(['running', 'idle', 'done']);
  });

  it('gives a sort without a direction its natural one', () => {
    expect(decodeOverviewState('sort=name').sort).toEqual({ column: 'name', direction: 'asc' });
    expect(decodeOverviewState('sort=score').sort).toEqual({ column: 'score', direction: 'desc' });
  });
});
