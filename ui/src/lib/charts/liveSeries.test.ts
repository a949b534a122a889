import { describe, expect, it } from 'vitest';
import { ServerClient } from '../api/client';
import { fakeFetch } from '../api/fakes';
import type { RunPoint } from '../api/types';
import { LiveSeries } from './liveSeries.svelte';

const point = (step: number, loss: number): RunPoint => ({ step, time: 1000 + step, epoch: null, values: { loss } });
const tick = () => new Promise((r) => setTimeout(r, 30));

function setup() {
  const listeners = new Map<string, Set<(p: RunPoint[]) => void>>();
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const fetch = fakeFetch((call) => {
    const id = decodeURIComponent(call.url.match(/runs\/([^/]+)\/metrics/)![1]);
    return { body: { x: 'step', series: { loss: { x: [1, 2], y: [id === 'a' ? 1 : 10, 0.9] } } } };
  });
  const slow = (async (url: string, init?: RequestInit) => {
    await gate;
    return fetch(url, init);
  }) as typeof fetch;
  const client = new ServerClient('http://h:1', { fetch: slow, token: 't' });
  const live = new LiveSeries({
    client: () => client,
    onPoints: (s, r, l) => {
      const key = `${s}:${r}`;
      if (!listeners.has(key)) listeners.set(key, new Set());
      listeners.get(key)!.add(l);
      return () => listeners.get(key)!.delete(l);
    },
  });
  const emit = (key: string, points: RunPoint[]) => listeners.get(key)?.forEach((l) => l(points));
  return { live, emit, release, fetch, listeners };
}

describe('LiveSeries', () => {
  it('fetches every run, then appends live points of each (also those sent during the fetch)', async () => {
    const { live, emit, release, fetch } = setup();
    live.set(
      [
        { serverId: 's', runId: 'a' },
        { serverId: 's', runId: 'b' },
      ],
      'step',
      500,
    );
    emit('s:a', [point(2, 0.9), point(3, 0.8)]); // during the fetch: step 2 is in the answer already
    release();
    await tick();
    expect(fetch.calls.map((c) => c.url)).toEqual([
      'http://h:1/api/v1/runs/a/metrics?x=step&max_points=500',
      'http://h:1/api/v1/runs/b/metrics?x=step&max_points=500',
    ]);
    expect(live.series('s:a')!.loss).toEqual({ x: [1, 2, 3], y: [1, 0.9, 0.8] });
    const before = live.version;
    emit('s:b', [point(3, 0.5)]);
    emit('s:a', [point(4, 0.7)]);
    await tick();
    expect(live.series('s:b')!.loss.x).toEqual([1, 2, 3]);
    expect(live.series('s:a')!.loss.x).toEqual([1, 2, 3, 4]);
    expect(live.version).toBe(before + 1); // one change signal per frame, not per point
  });
  it('drops runs no longer compared, and refetches on a new axis', async () => {
    const { live, release, fetch, listeners } = setup();
    release();
    live.set([{ serverId: 's', runId: 'a' }, { serverId: 's', runId: 'b' }], 'step', 500);
    await tick();
    live.set([{ serverId: 's', runId: 'a' }], 'step', 500);
    expect(listeners.get('s:b')!.size).toBe(0);
    expect(live.series('s:b')).toBeNull();
    live.set([{ serverId: 's', runId: 'a' }], 'time', 500);
    await tick();
    expect(fetch.calls.at(-1)!.url).toContain('x=time');
    live.dispose();
    expect(listeners.get('s:a')!.size).toBe(0);
  });
});
