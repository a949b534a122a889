import { beforeEach, describe, expect, it } from 'vitest';
import { FakeSocket, fakeFetch, fakeSocketFactory, type Call } from '../api/fakes';
import { listRuns } from '../api/runs';
import { makeIdleRun, makeRun, makeTensorboardRun } from '../testdata';
import { AppStores } from './app';
import { RunsStore } from './runs.svelte';
import { STORAGE_KEY, ServersStore, THIS_SERVER_NAME, type StorageLike } from './servers.svelte';
import { SystemStore } from './system.svelte';

class MemoryStorage implements StorageLike {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

/** A tiny in-memory stand-in for two AI Lab servers' HTTP answers. */
function mockServers(call: Call) {
  const path = new URL(call.url).pathname;
  if (path === '/api/v1/health') return { body: { status: 'ok', version: '0.1.0' } };
  if (path === '/api/v1/login') {
    const b = call.body as { user: string; password: string };
    if (b.password !== 'pw') return { status: 401, body: { error: 'invalid user or password' } };
    return { body: { token: `tok-${new URL(call.url).port}`, expires_at: 2e9, user: b.user } };
  }
  if (call.headers.Authorization?.startsWith('Bearer tok-') !== true) return { status: 401, body: { error: 'no token' } };
  if (path === '/api/v1/runs') return { body: { runs: [makeRun({ id: 'a' }), makeRun({ id: 'b', state: 'done' })] } };
  if (path === '/api/v1/system') return { body: { cluster: false, time: 100, cpu: { percent: 5, cores: [], load: [] }, gpu_status: 'no devices', gpus: [] } };
  if (path === '/api/v1/system/history') return { body: { range: '1h', interval_s: 1, samples: [] } };
  if (path === '/api/v1/logout') return { body: { ok: true } };
  return { status: 404, body: { error: 'not found' } };
}

describe('ServersStore', () => {
  beforeEach(() => {
    FakeSocket.all = [];
  });

  it('adds a server by logging in, persists it, and restores it after a reload', async () => {
    const storage = new MemoryStorage();
    const fetch = fakeFetch(mockServers);
    const store = new ServersStore({ storage, fetch, socketFactory: fakeSocketFactory, now: () => 1e9 });
    store.load();
    const entry = await store.add('127.0.0.1:9001', 'admin', 'pw');
    expect(entry).toMatchObject({ id: '127.0.0.1-9001', url: 'http://127.0.0.1:9001', user: 'admin', token: 'tok-9001' });
    const saved = JSON.parse(storage.getItem(STORAGE_KEY)!);
    expect(saved).toEqual([
      { id: '127.0.0.1-9001', url: 'http://127.0.0.1:9001', name: '127.0.0.1:9001', user: 'admin', token: 'tok-9001', expires_at: 2e9 },
    ]);
    expect(FakeSocket.all.length).toBe(1);

    const again = new ServersStore({ storage, fetch, socketFactory: fakeSocketFactory, now: () => 1e9 });
    again.load();
    expect(again.list.length).toBe(1);
    expect(again.needsLogin('127.0.0.1-9001')).toBe(false);
    expect(again.client('127.0.0.1-9001')!.token).toBe('tok-9001');
  });

  it('adds nothing when the login fails', async () => {
    const storage = new MemoryStorage();
    const store = new ServersStore({ storage, fetch: fakeFetch(mockServers), socketFactory: fakeSocketFactory });
    store.load();
    await expect(store.add('http://127.0.0.1:9001', 'admin', 'wrong')).rejects.toMatchObject({ status: 401 });
    expect(store.list).toEqual([]);
    expect(storage.getItem(STORAGE_KEY)).toBeNull();
  });

  it('treats an expired token as needing login and does not connect it', () => {
    const storage = new MemoryStorage();
    storage.setItem(
      STORAGE_KEY,
      JSON.stringify([{ id: 's', url: 'http://h:1', name: 'h', user: 'u', token: 'old', expires_at: 50 }, { junk: true }]),
    );
    const store = new ServersStore({ storage, socketFactory: fakeSocketFactory, now: () => 100 });
    store.load();
    expect(store.list.length).toBe(1);
    expect(store.needsLogin('s')).toBe(true);
    store.connectAll();
    expect(FakeSocket.all.length).toBe(0);
    expect(store.status.s).toBe('needs-login');
  });

  it('adds the serving AI Lab server as "this server" once', async () => {
    const storage = new MemoryStorage();
    const store = new ServersStore({ storage, fetch: fakeFetch(mockServers), socketFactory: fakeSocketFactory });
    store.load();
    const id = await store.detectThisServer({ protocol: 'http:', origin: 'http://127.0.0.1:9001' });
    expect(id).toBe('127.0.0.1-9001');
    expect(store.thisServerId).toBe(id);
    expect(store.detected).toBe(true);
    expect(store.get(id!)!.name).toBe(THIS_SERVER_NAME);
    expect(store.needsLogin(id!)).toBe(true);
    await store.detectThisServer({ protocol: 'http:', origin: 'http://127.0.0.1:9001' });
    expect(store.list.length).toBe(1);
  });

  it('adds nothing for a static copy (file: or a host without AI Lab)', async () => {
    const store = new ServersStore({ fetch: fakeFetch(() => ({ status: 404, body: {} })) });
    expect(await store.detectThisServer({ protocol: 'file:', origin: 'null' })).toBeNull();
    expect(await store.detectThisServer({ protocol: 'https:', origin: 'https://static.example' })).toBeNull();
    expect(store.list).toEqual([]);
    expect(store.detected).toBe(true);
  });

  it('forgets the token when the server says 401, and logs in again', async () => {
    const storage = new MemoryStorage();
    let revoked = false;
    const fetch = fakeFetch((c) => (revoked && !c.url.endsWith('/login') ? { status: 401, body: { error: 'token revoked' } } : mockServers(c)));
    const store = new ServersStore({ storage, fetch, socketFactory: fakeSocketFactory });
    store.load();
    const e = await store.add('http://127.0.0.1:9001', 'admin', 'pw');
    revoked = true;
    await expect(listRuns(store.client(e.id)!)).rejects.toMatchObject({ status: 401 });
    expect(store.needsLogin(e.id)).toBe(true);
    expect(JSON.parse(storage.getItem(STORAGE_KEY)!)[0].token).toBeNull();
    revoked = false;
    await store.login(e.id, 'admin', 'pw');
    expect(store.needsLogin(e.id)).toBe(false);
    expect(store.get(e.id)!.token).toBe('tok-9001');
  });

  it('subscribes each socket to the registered topics and routes their messages only', async () => {
    const store = new ServersStore({ storage: new MemoryStorage(), fetch: fakeFetch(mockServers), socketFactory: fakeSocketFactory });
    store.load();
    const got: [string, string][] = [];
    store.topics.register('jobs', (serverId, msg) => got.push([serverId, msg.type]));
    store.topics.register('files', (serverId, msg) => got.push([serverId, msg.type]));
    const e = await store.add('http://127.0.0.1:9001', 'admin', 'pw');
    const socket = FakeSocket.all[0];
    socket.open();
    socket.receive({ type: 'auth.ok', user: 'admin' });
    expect(socket.sent[1]).toEqual({ type: 'subscribe', topics: ['jobs', 'files'] });
    socket.receive({ type: 'jobs.started', id: 'j1' });
    socket.receive({ type: 'runs.removed', id: 'a' });
    socket.receive({ type: 'files.changed', path: 'x' });
    expect(got).toEqual([
      [e.id, 'jobs.started'],
      [e.id, 'files.changed'],
    ]);
  });

  it('removes a server, closes its socket and tells listeners', async () => {
    const store = new ServersStore({ storage: new MemoryStorage(), fetch: fakeFetch(mockServers), socketFactory: fakeSocketFactory });
    store.load();
    const e = await store.add('http://127.0.0.1:9001', 'admin', 'pw');
    const removed: string[] = [];
    store.onRemoved((id) => removed.push(id));
    store.remove(e.id);
    expect(store.list).toEqual([]);
    expect(removed).toEqual([e.id]);
    expect(FakeSocket.all[0].closed).toBe(true);
  });
});

describe('RunsStore', () => {
  it('merges runs of several servers under distinct keys', () => {
    const store = new RunsStore();
    store.setServerRuns('s1', [makeRun({ id: 'a' })]);
    store.setServerRuns('s2', [makeRun({ id: 'a' }), makeRun({ id: 'b' })]);
    expect(store.all().map((r) => r.key).sort()).toEqual(['s1:a', 's2:a', 's2:b']);
    store.setServerRuns('s2', [makeRun({ id: 'b' })]);
    expect(store.all().map((r) => r.key).sort()).toEqual(['s1:a', 's2:b']);
  });

  it('applies added, updated and removed events; updates replace only the changed row object', () => {
    const store = new RunsStore();
    store.setServerRuns('s', [makeRun({ id: 'a' }), makeRun({ id: 'b' })]);
    const before = store.get('s', 'b');
    const v = store.version;
    store.apply('s', { type: 'runs.updated', id: 'a', changes: { state: 'done', progress: 1 } });
    expect(store.get('s', 'a')!.run.state).toBe('done');
    expect(store.get('s', 'a')!.run.progress).toBe(1);
    expect(store.get('s', 'a')!.run.phase).toBe('train');
    expect(store.get('s', 'b')).toBe(before);
    expect(store.version).toBeGreaterThan(v);
    store.apply('s', { type: 'runs.added', run: makeRun({ id: 'c' }) });
    store.apply('s', { type: 'runs.removed', id: 'a' });
    expect(store.all().map((r) => r.run.id).sort()).toEqual(['b', 'c']);
  });

  it('keeps the format of a TensorBoard run and takes it idle, then running again', () => {
    const store = new RunsStore();
    store.setServerRuns('s', [makeTensorboardRun(), makeIdleRun()]);
    expect(store.get('s', 'tb1')!.run.format).toBe('tensorboard');
    expect(store.get('s', 'pl1')!.run.state).toBe('idle');
    store.apply('s', { type: 'runs.updated', id: 'tb1', changes: { state: 'idle' } });
    expect(store.get('s', 'tb1')!.run).toMatchObject({ state: 'idle', format: 'tensorboard' });
    store.apply('s', { type: 'runs.updated', id: 'pl1', changes: { state: 'running', metrics: ['train_loss', 'val_loss', 'lr'] } });
    expect(store.get('s', 'pl1')!.run).toMatchObject({ state: 'running', format: 'lightning' });
  });

  it('keeps unchanged row objects when a fresh list arrives', () => {
    const store = new RunsStore();
    store.setServerRuns('s', [makeRun({ id: 'a' }), makeRun({ id: 'b' })]);
    const a = store.get('s', 'a');
    store.setServerRuns('s', [makeRun({ id: 'a' }), makeRun({ id: 'b', score: 0.99 })]);
    expect(store.get('s', 'a')).toBe(a);
    expect(store.get('s', 'b')!.run.score).toBe(0.99);
  });

  it('delivers points only to listeners of that run', () => {
    const store = new RunsStore();
    const got: number[] = [];
    const off = store.onPoints('s', 'a', (pts) => got.push(...pts.map((p) => p.step ?? -1)));
    store.apply('s', { type: 'runs.points', id: 'a', points: [{ step: 1, time: 1, epoch: null, values: { loss: 1 } }] });
    store.apply('s', { type: 'runs.points', id: 'b', points: [{ step: 9, time: 1, epoch: null, values: { loss: 1 } }] });
    store.apply('t', { type: 'runs.points', id: 'a', points: [{ step: 8, time: 1, epoch: null, values: { loss: 1 } }] });
    off();
    store.apply('s', { type: 'runs.points', id: 'a', points: [{ step: 2, time: 1, epoch: null, values: { loss: 1 } }] });
    expect(got).toEqual([1]);
  });
});

describe('SystemStore', () => {
  const sample = (time: number, cpu: number) => ({
    cluster: false,
    time,
    cpu: { percent: cpu, cores: [], load: [] },
    memory: { total_bytes: 1, used_bytes: 1, available_bytes: 0, percent: 50, swap_total_bytes: 0, swap_used_bytes: 0 },
    gpus: [],
    gpu_status: 'no devices',
  });

  it('keeps the latest sample and a 10-minute ring', () => {
    const store = new SystemStore();
    for (let t = 0; t <= 900; t += 10) store.push('s', sample(1000 + t, t / 10));
    expect(store.latest.s.time).toBe(1900);
    const ring = store.ring('s');
    expect(ring[ring.length - 1].cpu).toBe(90);
    expect(ring[0].time).toBe(1300);
    expect(ring.length).toBe(61);
  });

  it('merges history that arrives after live samples, in time order and without duplicates', () => {
    const store = new SystemStore();
    store.push('s', sample(1000, 1));
    store.seed('s', {
      range: '1h',
      interval_s: 1,
      samples: [
        { time: 990, cpu_percent: 2, memory_percent: 3, gpus: [] },
        { time: 1000, cpu_percent: 9, memory_percent: 9, gpus: [] },
        { time: 100, cpu_percent: 2, memory_percent: 3, gpus: [] },
      ],
    });
    expect(store.ring('s').map((p) => p.time)).toEqual([990, 1000]);
    expect(store.ring('s')[1].cpu).toBe(1);
  });

  it('does not sample a cluster', () => {
    const store = new SystemStore();
    store.push('c', { cluster: true, gpu_status: 'disabled' });
    expect(store.latest.c.cluster).toBe(true);
    expect(store.ring('c')).toEqual([]);
  });
});

describe('AppStores wiring', () => {
  beforeEach(() => {
    FakeSocket.all = [];
  });

  it('loads runs when a socket is ready and routes events to the runs and system stores', async () => {
    const fetch = fakeFetch(mockServers);
    const servers = new ServersStore({ storage: new MemoryStorage(), fetch, socketFactory: fakeSocketFactory });
    servers.load();
    const app = new AppStores(servers);
    const e = await servers.add('http://127.0.0.1:9001', 'admin', 'pw');
    const socket = FakeSocket.all[0];
    socket.open();
    socket.receive({ type: 'auth.ok', user: 'admin' });
    expect(socket.sent[1]).toEqual({ type: 'subscribe', topics: ['runs', 'system', 'jobs'] });
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    expect(app.runs.all().map((r) => r.key).sort()).toEqual([`${e.id}:a`, `${e.id}:b`]);
    socket.receive({ type: 'runs.updated', id: 'a', changes: { state: 'done' } });
    expect(app.runs.get(e.id, 'a')!.run.state).toBe('done');
    // A batch applies its events in order.
    socket.receive({
      type: 'runs.batch',
      events: [
        { type: 'runs.updated', id: 'a', changes: { state: 'failed' } },
        { type: 'runs.removed', id: 'b' },
        { type: 'runs.updated', id: 'a', changes: { phase: 'val' } },
      ],
    });
    expect(app.runs.get(e.id, 'a')!.run.state).toBe('failed');
    expect(app.runs.get(e.id, 'a')!.run.phase).toBe('val');
    expect(app.runs.get(e.id, 'b')).toBeUndefined();
    socket.receive({ type: 'system.sample', ...{ cluster: false, time: 200, cpu: { percent: 77, cores: [], load: [] }, gpus: [], gpu_status: 'no devices' } });
    expect(app.system.latest[e.id].cpu!.percent).toBe(77);
    expect((app.system.latest[e.id] as { type?: string }).type).toBeUndefined();
    servers.remove(e.id);
    expect(app.runs.all()).toEqual([]);
    expect(app.system.latest[e.id]).toBeUndefined();
  });
});
