import { describe, expect, it } from 'vitest';
import { compareHref, href, parseCompareRuns, parseHash } from './router';

describe('parseHash', () => {
  it('splits a hash route into parts and query', () => {
    const r = parseHash('#/run/127.0.0.1-8080/abc123');
    expect(r.parts).toEqual(['run', '127.0.0.1-8080', 'abc123']);
    const c = parseHash('#/compare?runs=a:1,b:2');
    expect(c.parts).toEqual(['compare']);
    expect(c.query.get('runs')).toBe('a:1,b:2');
  });
  it('treats an empty hash as no parts', () => {
    expect(parseHash('').parts).toEqual([]);
    expect(parseHash('#/').parts).toEqual([]);
  });
  it('round-trips encoded parts', () => {
    const h = href('run', 'srv', 'id with space');
    expect(parseHash(h).parts).toEqual(['run', 'srv', 'id with space']);
  });
});

describe('compare links', () => {
  it('round-trips a list of runs across servers', () => {
    const runs = [
      { serverId: 'host-1', runId: 'aaa' },
      { serverId: 'host-2', runId: 'bbb' },
    ];
    const h = compareHref(runs);
    expect(parseCompareRuns(parseHash(h).query.get('runs'))).toEqual(runs);
  });
  it('skips malformed items', () => {
    expect(parseCompareRuns('x:1,bad,:2,y:')).toEqual([{ serverId: 'x', runId: '1' }]);
    expect(parseCompareRuns(null)).toEqual([]);
  });
});
