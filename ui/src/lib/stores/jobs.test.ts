import { beforeEach, describe, expect, it } from 'vitest';
import { ServerClient } from '../api/client';
import { FakeSocket, fakeFetch, fakeSocketFactory, type Call } from '../api/fakes';
import { TopicRegistry } from '../api/topics';
import type { GpuLane, Job, JobListResponse } from '../api/types';
import { makeCluster, makeJob, makePartition } from '../testjobs';
import { AppStores } from './app';
import { JobsStore, mergeJob, registerJobsTopic } from './jobs.svelte';
import { ServersStore, type StorageLike } from './servers.svelte';

/** A fake job host: `jobs` newest first, filtered and paged like GET /jobs; `extra()` adds top-level fields. */
function jobHost(jobs: Job[], lanes: GpuLane[] = [], extra: () => Partial<JobListResponse> = () => ({})) {
  return (call: Call) => {
    const url = new URL(call.url);
    if (url.pathname !== '/api/v1/jobs') return { status: 404, body: { error: 'not found' } };
    const states = url.searchParams.get('state')?.split(',');
    const user = url.searchParams.get('user');
    const q = url.searchParams.get('q');
    const limit = Number(url.searchParams.get('limit') ?? 100);
    const before = url.searchParams.get('before');
    let rows = jobs
      .filter((j) => (!states || states.includes(j.state)) && (!user || j.user === user) && (!q || (j.name ?? '').includes(q)))
      .sort((a, b) => b.id - a.id);
    if (before) rows = rows.filter((j) => j.id < Number(before));
    const page = rows.slice(0, limit);
    return {
      body: {
        jobs: page,
        next_before: rows.length > limit ? page[page.length - 1].id : null,
        counts: { queued: jobs.filter((j) => j.state === 'queued').length, running: jobs.filter((j) => j.state === 'running').length },
        gpus: lanes,
        ...extra(),
      },
    };
  };
}

function storeFor(handler: (c: Call) => ReturnType<ReturnType<typeof jobHost>>, historyPage = 2) {
  const fetch = fakeFetch(handler);
  const clients: Record<string, ServerClient> = {
    a: new ServerClient('http://a:1', { fetch, token: 'tok' }),
    b: new ServerClient('http://b:1', { fetch, token: 'tok' }),
  };
  const store = new JobsStore((id) => clients[id], { historyPage });
  const topics = new TopicRegistry();
  registerJobsTopic(topics, store);
  return { store, topics, fetch };
}

const ids = (store: JobsStore, servers?: string[]) =>
  store
    .rows(servers)
    .map((r) => `${r.serverId}:${r.job.id}:${r.job.state}`)
    .sort();

describe('JobsStore', () => {
  const history = [
    makeJob({ id: 1, state: 'done' }),
    makeJob({ id: 2, state: 'failed' }),
    makeJob({ id: 3, state: 'done' }),
    makeJob({ id: 4, state: 'cancelled' }),
    makeJob({ id: 5, state: 'done' }),
  ];
  const active = [makeJob({ id: 6, state: 'running', gpus: [0] }), makeJob({ id: 7, state: 'queued', waiting_for: 'gpu' })];

  it('loads every queued and running job plus one history page, then pages the history to its end', async () => {
    // Bad input: a history page boundary that repeats or loses a job; loading older pages past the end.
    const { store, fetch } = storeFor(jobHost([...history, ...active]));
    await store.load('a');
    expect(ids(store)).toEqual(['a:4:cancelled', 'a:5:done', 'a:6:running', 'a:7:queued']);
    expect(store.status('a')).toMatchObject({ loaded: true, hasMore: true, error: null });
    expect(fetch.calls.map((c) => new URL(c.url).search)).toEqual([
      '?state=queued,running&limit=1000',
      '?state=done,failed,cancelled&limit=2',
    ]);
    await store.loadOlder(['a']);
    await store.loadOlder(['a']);
    expect(store.status('a')!.hasMore).toBe(false);
    const calls = fetch.calls.length;
    await store.loadOlder(['a']);
    expect(fetch.calls.length).toBe(calls);
    expect(ids(store)).toEqual(['a:1:done', 'a:2:failed', 'a:3:done', 'a:4:cancelled', 'a:5:done', 'a:6:running', 'a:7:queued']);
    expect(store.counts('a')).toEqual({ queued: 1, running: 1 });
  });

  it('merges jobs.updated into the list (replacing the row) and jobs.added at the top, and keeps counts', async () => {
    // Bad input: an update of a job nobody listed that does not match the filter must not appear.
    const { store, topics } = storeFor(jobHost([...history, ...active]));
    await store.load('a');
    const before = store.rows().find((r) => r.job.id === 7)!;
    topics.dispatch('a', { type: 'jobs.updated', job: makeJob({ id: 7, state: 'running', gpus: [1] }) });
    const after = store.rows().find((r) => r.job.id === 7)!;
    expect(after.job.state).toBe('running');
    expect(after.job.gpus).toEqual([1]);
    expect(after.job).not.toBe(before.job);
    expect(store.counts('a')).toEqual({ queued: 0, running: 2 });
    topics.dispatch('a', { type: 'jobs.added', job: makeJob({ id: 8 }) });
    expect(store.job('a', 8)!.state).toBe('queued');
    expect(store.counts('a').queued).toBe(1);
    topics.dispatch('a', { type: 'jobs.gpus', gpus: [{ id: 0, job: 6, held_for: null, foreign: [], memory_used_bytes: 5, free: false }] });
    expect(store.lanes('a').map((l) => l.job)).toEqual([6]);

    store.setFilter({ states: [], user: 'alice', q: '' });
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    expect(ids(store)).toEqual([]);
    topics.dispatch('a', { type: 'jobs.updated', job: makeJob({ id: 3, state: 'done', user: 'bob' }) });
    topics.dispatch('a', { type: 'jobs.added', job: makeJob({ id: 9, user: 'alice' }) });
    expect(ids(store)).toEqual(['a:9:queued']);
  });

  it('holds events that arrive while a list loads and applies them after it (an older list never wins)', async () => {
    // Bad input: the list answer carries job 7 as queued, but a newer event already said running.
    const { store, topics } = storeFor(jobHost([...history, ...active]));
    const loading = store.load('a');
    topics.dispatch('a', { type: 'jobs.updated', job: makeJob({ id: 7, state: 'running', gpus: [1] }) });
    topics.dispatch('a', { type: 'jobs.added', job: makeJob({ id: 10 }) });
    expect(store.job('a', 7)).toBeUndefined();
    await loading;
    expect(store.job('a', 7)!.state).toBe('running');
    expect(store.job('a', 10)!.state).toBe('queued');
  });

  it('marks a server without job host (404) and keeps the other servers', async () => {
    // Bad input: an older server that answers 404 to GET /jobs.
    const { store } = storeFor((c) => (c.url.startsWith('http://b:1') ? { status: 404, body: { error: 'no route' } } : jobHost(active)(c)));
    store.watch(['a', 'b']);
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    expect(store.status('b')).toMatchObject({ unsupported: true, loaded: false });
    expect(ids(store)).toEqual(['a:6:running', 'a:7:queued']);
    expect(ids(store, ['b'])).toEqual([]);
  });

  it('keeps the executor and the Slurm cluster of the list, and takes them again on every load and refresh', async () => {
    // Bad input: an older server without `executor`/`cluster`; a refresh that fails keeps the last cluster.
    let extra: Partial<JobListResponse> = { executor: 'slurm', cluster: makeCluster({ updated_at: null, partitions: [] }) };
    let down = false;
    const host = jobHost(active, [], () => extra);
    const { store, fetch } = storeFor((c) => (down ? { status: 503, body: { error: 'down' } } : host(c)));
    expect(store.executor('a')).toBe('local');
    expect(store.cluster('a')).toBeNull();
    await store.load('a');
    expect(store.executor('a')).toBe('slurm');
    expect(store.cluster('a')).toEqual({ partitions: [], error: null, updated_at: null });
    expect(store.lanes('a')).toEqual([]);

    extra = { executor: 'slurm', cluster: makeCluster() };
    await store.load('a');
    expect(store.cluster('a')!.partitions.map((p) => p.name)).toEqual(['debug', 'long']);

    extra = { executor: 'slurm', cluster: makeCluster({ partitions: [makePartition({ name: 'gpu' })], error: 'sinfo: timeout', updated_at: 1_700_000_020 }) };
    const version = store.version;
    const calls = fetch.calls.length;
    await store.refreshCluster('a');
    expect(fetch.calls.slice(calls).map((c) => new URL(c.url).search)).toEqual(['?state=queued&limit=1']);
    expect(store.version).toBeGreaterThan(version);
    expect(store.cluster('a')).toMatchObject({ partitions: [{ name: 'gpu' }], error: 'sinfo: timeout', updated_at: 1_700_000_020 });
    expect(ids(store)).toEqual(['a:6:running', 'a:7:queued']);

    down = true;
    await store.refreshCluster('a');
    expect(store.cluster('a')!.partitions.map((p) => p.name)).toEqual(['gpu']);
    down = false;
    await store.refreshCluster('never-loaded');
    expect(store.cluster('never-loaded')).toBeNull();

    extra = {};
    await store.load('a');
    expect(store.executor('a')).toBe('local');
    expect(store.cluster('a')).toBeNull();
  });

  it('keeps a job page copy up to date from events even when no list is loaded', () => {
    const { store, topics } = storeFor(jobHost([]));
    store.setDetail('b', makeJob({ id: 3, state: 'running' }));
    topics.dispatch('b', { type: 'jobs.updated', job: makeJob({ id: 3, state: 'cancelled', reason: 'cancelled by admin' }) });
    expect(store.job('b', 3)).toMatchObject({ state: 'cancelled', reason: 'cancelled by admin' });
    topics.dispatch('b', { type: 'jobs.updated', job: makeJob({ id: 4, state: 'done' }) });
    expect(store.job('b', 4)).toBeUndefined();
    store.forgetDetail('b', 3);
    expect(store.job('b', 3)).toBeUndefined();
  });

  it('keeps the git diff of GET /jobs/{id} when a later event (which leaves it out) replaces the job', () => {
    // Bad input: an event without `diff` must not blank the diff shown; a new commit must not keep an old diff.
    const { store, topics } = storeFor(jobHost([]));
    const git = { commit: 'abc', branch: 'main', dirty: true, diff_bytes: 9, diff: '-a\n+b\n' };
    store.setDetail('a', makeJob({ id: 5, state: 'running', git }));
    topics.dispatch('a', { type: 'jobs.updated', job: makeJob({ id: 5, state: 'done', git: { commit: 'abc', branch: 'main', dirty: true, diff_bytes: 9 } }) });
    expect(store.job('a', 5)).toMatchObject({ state: 'done', git: { diff: '-a\n+b\n', diff_bytes: 9 } });
    const other = makeJob({ id: 5, git: { commit: 'def', branch: 'main', dirty: true, diff_bytes: 3 } });
    expect(mergeJob(makeJob({ id: 5, git }), other).git!.diff).toBeUndefined();
    expect(mergeJob(undefined, other)).toBe(other);
  });

  it('lists the submitted jobs of a sweep at once, and never over the newer copy of an event', async () => {
    // Bad input: the answer of POST /jobs/batch (all "queued") arriving after job 12's end event.
    const { store, topics } = storeFor(jobHost([...active]));
    await store.load('a');
    topics.dispatch('a', { type: 'jobs.added', job: makeJob({ id: 12, state: 'queued' }) });
    topics.dispatch('a', { type: 'jobs.updated', job: makeJob({ id: 12, state: 'done' }) });
    store.addSubmitted('a', [makeJob({ id: 11 }), makeJob({ id: 12 }), makeJob({ id: 13 })]);
    expect(ids(store)).toEqual(['a:11:queued', 'a:12:done', 'a:13:queued', 'a:6:running', 'a:7:queued']);
    expect(store.counts('a')).toEqual({ queued: 3, running: 1, done: 1 });
    // Their own jobs.added events later change nothing (no job counted twice).
    topics.dispatch('a', { type: 'jobs.added', job: makeJob({ id: 11 }) });
    expect(store.counts('a').queued).toBe(3);
    // A server the lists do not watch is left alone.
    store.addSubmitted('b', [makeJob({ id: 1 })]);
    expect(ids(store, ['b'])).toEqual([]);
  });

  it('never takes an ended job back to running when a late answer arrives after the end event', () => {
    // Bad input: the answer of POST /cancel (still "running") arriving after jobs.updated "cancelled".
    const { store, topics } = storeFor(jobHost([]));
    store.setDetail('a', makeJob({ id: 7, state: 'running' }));
    topics.dispatch('a', { type: 'jobs.updated', job: makeJob({ id: 7, state: 'cancelled' }) });
    store.setDetail('a', makeJob({ id: 7, state: 'running', reason: 'cancelled by admin' }));
    expect(store.job('a', 7)!.state).toBe('cancelled');
    expect(mergeJob(makeJob({ id: 7, state: 'done' }), makeJob({ id: 7, state: 'queued' })).state).toBe('done');
    expect(mergeJob(makeJob({ id: 7, state: 'queued' }), makeJob({ id: 7, state: 'running' })).state).toBe('running');
  });
});

class MemoryStorage implements StorageLike {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

describe('AppStores jobs wiring', () => {
  beforeEach(() => {
    FakeSocket.all = [];
  });

  it('subscribes to jobs, routes jobs events, reloads a watched server when its socket is ready again', async () => {
    const host = jobHost([makeJob({ id: 1, state: 'running' })]);
    const fetch = fakeFetch((c) => {
      const path = new URL(c.url).pathname;
      if (path === '/api/v1/login') return { body: { token: 'tok', expires_at: 2e9, user: 'admin' } };
      if (path === '/api/v1/runs') return { body: { runs: [] } };
      if (path === '/api/v1/system') return { body: { cluster: true, gpu_status: 'disabled' } };
      return host(c);
    });
    const servers = new ServersStore({ storage: new MemoryStorage(), fetch, socketFactory: fakeSocketFactory });
    servers.load();
    const app = new AppStores(servers);
    const e = await servers.add('http://127.0.0.1:9001', 'admin', 'pw');
    const socket = FakeSocket.all[0];
    socket.open();
    socket.receive({ type: 'auth.ok', user: 'admin' });
    expect((socket.sent[1] as { topics: string[] }).topics).toContain('jobs');
    await new Promise((r) => setTimeout(r, 0));
    // Not watched yet: no jobs list was fetched.
    expect(fetch.calls.some((c) => c.url.includes('/api/v1/jobs'))).toBe(false);
    await app.jobs.load(e.id);
    socket.receive({ type: 'jobs.updated', job: makeJob({ id: 1, state: 'done', exit_code: 0 }) });
    expect(app.jobs.job(e.id, 1)!.state).toBe('done');
    const calls = fetch.calls.filter((c) => c.url.includes('/api/v1/jobs')).length;
    socket.serverClose(1006);
    await new Promise((r) => setTimeout(r, 700));
    const again = FakeSocket.all[1];
    again.open();
    again.receive({ type: 'auth.ok', user: 'admin' });
    await new Promise((r) => setTimeout(r, 0));
    expect(fetch.calls.filter((c) => c.url.includes('/api/v1/jobs')).length).toBeGreaterThan(calls);
    servers.remove(e.id);
    expect(app.jobs.rows()).toEqual([]);
  });
});
