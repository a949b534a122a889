import { beforeEach, describe, expect, it, vi } from 'vitest';
import { login, logout } from './auth';
import { ServerClient } from './client';
import { ApiError, parseRetryAfter } from './errors';
import { FakeSocket, fakeFetch, fakeSocketFactory } from './fakes';
import { cleanupRuns, exportRun, getMetrics, listRuns } from './runs';
import { health, isAilabServer } from './server';
import { getHistory } from './system';
import { restoreTrash } from './trash';
import { normalizeServerUrl, serverIdFor, wsUrl } from './url';
import { backoffDelay } from './ws';

describe('urls', () => {
  it('normalises what users type', () => {
    expect(normalizeServerUrl('gpu1:8080')).toBe('http://gpu1:8080');
    expect(normalizeServerUrl(' https://lab.example.org/some/path/ ')).toBe('https://lab.example.org');
    expect(() => normalizeServerUrl('')).toThrow();
    expect(() => normalizeServerUrl('ftp://x')).toThrow(/http/);
  });
  it('derives the WebSocket url', () => {
    expect(wsUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/api/v1/ws');
    expect(wsUrl('https://lab.org')).toBe('wss://lab.org/api/v1/ws');
  });
  it('makes unique readable server ids', () => {
    expect(serverIdFor('http://127.0.0.1:8080', [])).toBe('127.0.0.1-8080');
    expect(serverIdFor('https://lab.org', ['lab.org-443'])).toBe('lab.org-443-2');
  });
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('30')).toBe(30);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter(new Date(10_000 + 5_000).toUTCString(), 10_000)).toBe(5);
  });
});

describe('ServerClient HTTP', () => {
  it('logs in, keeps the token and sends it as Bearer', async () => {
    const fetch = fakeFetch((c) => {
      if (c.url.endsWith('/api/v1/login')) return { body: { token: 'tok', expires_at: 99, user: 'admin' } };
      return { body: { runs: [] } };
    });
    const client = new ServerClient('http://h:1/', { fetch });
    const answer = await login(client, 'admin', 'pw');
    expect(answer.token).toBe('tok');
    expect(fetch.calls[0].method).toBe('POST');
    expect(fetch.calls[0].body).toEqual({ user: 'admin', password: 'pw' });
    expect(fetch.calls[0].headers.Authorization).toBeUndefined();
    await listRuns(client);
    expect(fetch.calls[1].url).toBe('http://h:1/api/v1/runs');
    expect(fetch.calls[1].headers.Authorization).toBe('Bearer tok');
  });

  it('turns {"error"} answers into ApiError with status and Retry-After', async () => {
    const fetch = fakeFetch(() => ({ status: 429, body: { error: 'too many attempts' }, headers: { 'Retry-After': '17' } }));
    const client = new ServerClient('http://h:1', { fetch });
    const err = await login(client, 'a', 'b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).message).toBe('too many attempts');
    expect((err as ApiError).retryAfter).toBe(17);
  });

  it('marks the client unauthorized on 401 (but not for a failed login)', async () => {
    const onUnauthorized = vi.fn();
    const fetch = fakeFetch(() => ({ status: 401, body: { error: 'bad token' } }));
    const client = new ServerClient('http://h:1', { fetch, token: 'old', onUnauthorized, socketFactory: fakeSocketFactory });
    await expect(login(client, 'a', 'wrong')).rejects.toThrow('bad token');
    expect(onUnauthorized).not.toHaveBeenCalled();
    expect(client.token).toBe('old');
    await expect(listRuns(client)).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(client.token).toBeNull();
    expect(client.connState).toBe('needs-login');
  });

  it('builds metrics queries with x, max_points and keys', async () => {
    const fetch = fakeFetch(() => ({ body: { x: 'step', series: {} } }));
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    await getMetrics(client, 'abc', 'time', 812.4, ['loss', 'score']);
    expect(fetch.calls[0].url).toBe('http://h:1/api/v1/runs/abc/metrics?x=time&max_points=812&keys=loss,score');
  });

  it('feature modules send their calls through the client', async () => {
    const fetch = fakeFetch((c) => (c.url.includes('/export') ? { body: 'step,loss' } : { body: {} }));
    const client = new ServerClient('http://h:1', { fetch, token: 't', socketFactory: fakeSocketFactory });
    await cleanupRuns(client, ['a', 'b']);
    await restoreTrash(client, ['.trash/x']);
    await getHistory(client, '24h');
    expect(await exportRun(client, 'r/1', 'csv')).toBe('"step,loss"');
    await logout(client);
    const seen = fetch.calls.map((c) => [c.method, c.url, c.body]);
    expect(seen).toEqual([
      ['POST', 'http://h:1/api/v1/runs/cleanup', { ids: ['a', 'b'] }],
      ['POST', 'http://h:1/api/v1/runs/restore', { items: ['.trash/x'] }],
      ['GET', 'http://h:1/api/v1/system/history?range=24h', undefined],
      ['GET', 'http://h:1/api/v1/runs/r%2F1/export?format=csv', undefined],
      ['POST', 'http://h:1/api/v1/logout', {}],
    ]);
    expect(fetch.calls[4].headers.Authorization).toBe('Bearer t');
    expect(client.token).toBeNull();
    expect(client.connState).toBe('needs-login');
  });

  it('reports network failures as ApiError status 0', async () => {
    const client = new ServerClient('http://h:1', {
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(health(client)).rejects.toMatchObject({ status: 0 });
  });

  it('detects an AI Lab server from /api/v1/health', async () => {
    expect(await isAilabServer('http://h', fakeFetch(() => ({ body: { status: 'ok', version: '0.1.0' } })))).toBe(true);
    expect(await isAilabServer('http://h', fakeFetch(() => ({ status: 404, body: {} })))).toBe(false);
    expect(await isAilabServer('http://h', fakeFetch(() => ({ body: { status: 'nope' } })))).toBe(false);
  });
});

describe('ServerClient WebSocket', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useRealTimers();
  });

  it('authenticates first, subscribes after auth.ok, then forwards events', () => {
    const client = new ServerClient('http://h:1', { token: 'tok', socketFactory: fakeSocketFactory, topics: () => ['runs', 'system'] });
    const events: unknown[] = [];
    const states: string[] = [];
    let ready = 0;
    client.onEvent((m) => events.push(m));
    client.onState((s) => states.push(s));
    client.onReady(() => ready++);
    client.connect();
    const s = FakeSocket.all[0];
    expect(s.url).toBe('ws://h:1/api/v1/ws');
    s.open();
    expect(s.sent).toEqual([{ type: 'auth', token: 'tok' }]);
    expect(client.connState).toBe('connecting');
    s.receive({ type: 'auth.ok', user: 'admin' });
    expect(s.sent[1]).toEqual({ type: 'subscribe', topics: ['runs', 'system'] });
    expect(client.connState).toBe('connected');
    expect(ready).toBe(1);
    s.receive({ type: 'subscribed', topics: ['runs'] });
    s.receive({ type: 'runs.removed', id: 'x' });
    expect(events).toEqual([{ type: 'runs.removed', id: 'x' }]);
    expect(states).toEqual(['connecting', 'connected']);
    client.disconnect();
  });

  it('reconnects with backoff after the connection drops', () => {
    vi.useFakeTimers();
    const client = new ServerClient('http://h:1', { token: 'tok', socketFactory: fakeSocketFactory });
    client.connect();
    FakeSocket.all[0].open();
    FakeSocket.all[0].receive({ type: 'auth.ok' });
    FakeSocket.all[0].serverClose(1006);
    expect(client.connState).toBe('disconnected');
    expect(FakeSocket.all.length).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.all.length).toBe(2);
    FakeSocket.all[1].serverClose(1006);
    vi.advanceTimersByTime(700);
    expect(FakeSocket.all.length).toBe(2); // second delay is longer (about 1 s)
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.all.length).toBe(3);
    client.disconnect();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all.length).toBe(3);
    vi.useRealTimers();
  });

  it('stops and needs login when the token is rejected (4401 and /info says 401)', async () => {
    const onUnauthorized = vi.fn();
    const fetch = fakeFetch(() => ({ status: 401, body: { error: 'invalid token' } }));
    const client = new ServerClient('http://h:1', { token: 'bad', fetch, socketFactory: fakeSocketFactory, onUnauthorized });
    client.connect();
    FakeSocket.all[0].open();
    FakeSocket.all[0].serverClose(4401, 'invalid token');
    await vi.waitFor(() => expect(client.connState).toBe('needs-login'));
    expect(onUnauthorized).toHaveBeenCalled();
    expect(fetch.calls[0].url).toBe('http://h:1/api/v1/info');
  });

  it('re-authenticates, re-subscribes and signals ready again after a reconnect', () => {
    vi.useFakeTimers();
    const client = new ServerClient('http://h:1', { token: 'tok', socketFactory: fakeSocketFactory, topics: () => ['runs'] });
    let ready = 0;
    client.onReady(() => ready++);
    client.connect();
    FakeSocket.all[0].open();
    FakeSocket.all[0].receive({ type: 'auth.ok' });
    FakeSocket.all[0].serverClose(1001);
    vi.advanceTimersByTime(1000);
    const second = FakeSocket.all[1];
    second.open();
    expect(second.sent).toEqual([{ type: 'auth', token: 'tok' }]);
    second.receive({ type: 'auth.ok' });
    expect(second.sent[1]).toEqual({ type: 'subscribe', topics: ['runs'] });
    expect(ready).toBe(2);
    client.disconnect();
    vi.useRealTimers();
  });

  it('reads the topics at each authentication and sends no subscribe without topics', () => {
    vi.useFakeTimers();
    let topics: string[] = [];
    const client = new ServerClient('http://h:1', { token: 'tok', socketFactory: fakeSocketFactory, topics: () => topics });
    client.connect();
    FakeSocket.all[0].open();
    FakeSocket.all[0].receive({ type: 'auth.ok' });
    expect(FakeSocket.all[0].sent).toEqual([{ type: 'auth', token: 'tok' }]);
    expect(client.connState).toBe('connected');
    topics = ['runs', 'jobs'];
    FakeSocket.all[0].serverClose(1006);
    vi.advanceTimersByTime(1000);
    FakeSocket.all[1].open();
    FakeSocket.all[1].receive({ type: 'auth.ok' });
    expect(FakeSocket.all[1].sent[1]).toEqual({ type: 'subscribe', topics: ['runs', 'jobs'] });
    client.disconnect();
    vi.useRealTimers();
  });

  it('does not connect without a token', () => {
    const client = new ServerClient('http://h:1', { socketFactory: fakeSocketFactory });
    client.connect();
    expect(FakeSocket.all.length).toBe(0);
    expect(client.connState).toBe('needs-login');
  });

  it('backoff grows and is capped at about 30 s', () => {
    const mid = () => 0.5;
    expect(backoffDelay(0, mid)).toBe(500);
    expect(backoffDelay(1, mid)).toBe(1000);
    expect(backoffDelay(3, mid)).toBe(4000);
    expect(backoffDelay(50, mid)).toBe(30_000);
  });
});
