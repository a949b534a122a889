import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeJob } from '../testjobs';
import { ServerClient } from './client';
import { ApiError } from './errors';
import { FakeSocket, fakeFetch, type Call } from './fakes';
import { JobOutputStream, outputWsUrl, type OutputStreamState } from './jobOutput';
import { cancelJob, getJob, getOutput, listJobs, restartJob, submitJob, submitJobs } from './jobs';
import type { OutputEnd } from './types';

/** 250 jobs with ids 1..250 on a fake server that pages them newest first like GET /jobs. */
function pagingServer(total: number) {
  const all = Array.from({ length: total }, (_, i) => makeJob({ id: i + 1, state: i % 3 === 0 ? 'failed' : 'done' }));
  return (call: Call) => {
    const url = new URL(call.url);
    const limit = Number(url.searchParams.get('limit') ?? 100);
    const before = url.searchParams.get('before');
    const states = url.searchParams.get('state')?.split(',');
    let rows = all.filter((j) => !states || states.includes(j.state)).sort((a, b) => b.id - a.id);
    if (before !== null) rows = rows.filter((j) => j.id < Number(before));
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? page[page.length - 1].id : null;
    return { body: { jobs: page, next_before: next, counts: { done: 1 }, gpus: [] } };
  };
}

describe('jobs HTTP calls', () => {
  it('pages through the history with before= until next_before is null, each job once', async () => {
    // Bad input it guards against: a client that repeats or skips a page boundary (off by one on `before`).
    const fetch = fakeFetch(pagingServer(250));
    const client = new ServerClient('http://h:1', { fetch, token: 'tok' });
    const seen: number[] = [];
    let before: number | null = null;
    let pages = 0;
    do {
      const page = await listJobs(client, { limit: 100, before });
      seen.push(...page.jobs.map((j) => j.id));
      before = page.next_before;
      pages++;
    } while (before !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen.length).toBe(250);
    expect(new Set(seen).size).toBe(250);
    expect(seen[0]).toBe(250);
    expect(seen.at(-1)).toBe(1);
    expect(fetch.calls[1].url).toBe('http://h:1/api/v1/jobs?limit=100&before=151');
  });

  it('sends the filter as state (comma list), user and q, and clamps the limit', async () => {
    // Bad input: an empty user or blank q must not be sent as a filter; a limit over 1000 is refused by the server.
    const fetch = fakeFetch(pagingServer(5));
    const client = new ServerClient('http://h:1', { fetch, token: 'tok' });
    await listJobs(client, { states: ['queued', 'running'], user: 'alice', q: ' train ', limit: 5000 });
    await listJobs(client, { user: '', q: '   ' });
    expect(fetch.calls[0].url).toBe('http://h:1/api/v1/jobs?state=queued,running&user=alice&q=train&limit=1000');
    expect(fetch.calls[1].url).toBe('http://h:1/api/v1/jobs');
  });

  it('reads an output range as raw bytes with the total size header', async () => {
    // Bad input: bytes that are not UTF-8 (a split multi-byte character) must come back untouched.
    const bytes = new Uint8Array([0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xe2, 0x96]);
    const fetch = fakeFetch(() => ({ raw: bytes, headers: { 'X-AILab-Output-Size': '4096' } }));
    const client = new ServerClient('http://h:1', { fetch, token: 'tok' });
    const range = await getOutput(client, 7, 10, 7);
    expect(fetch.calls[0].url).toBe('http://h:1/api/v1/jobs/7/output?offset=10&limit=7');
    expect([...range.bytes]).toEqual([...bytes]);
    expect(range.size).toBe(4096);
  });

  it('turns 403/409/400 answers into ApiError with the server text; 201 answers into the job', async () => {
    // Bad input: cancelling an ended job (409), another user's job (403), an empty command (400).
    const fetch = fakeFetch((c) => {
      const path = new URL(c.url).pathname;
      if (path === '/api/v1/jobs/3/cancel') return { status: 409, body: { error: 'job 3 has already ended (done)' } };
      if (path === '/api/v1/jobs/4/restart') return { status: 403, body: { error: 'job 4 belongs to bob' } };
      if (path === '/api/v1/jobs' && c.method === 'POST') {
        const body = c.body as { shell?: string };
        if (!body.shell) return { status: 400, body: { error: 'empty command' } };
        return { status: 201, body: { job: makeJob({ id: 9, shell: body.shell, command: null }) } };
      }
      if (path === '/api/v1/jobs/9') return { body: { job: makeJob({ id: 9 }) } };
      return { status: 404, body: { error: 'no such job' } };
    });
    const client = new ServerClient('http://h:1', { fetch, token: 'tok' });
    const cancel = await cancelJob(client, 3).catch((e: unknown) => e);
    expect(cancel).toBeInstanceOf(ApiError);
    expect((cancel as ApiError).status).toBe(409);
    expect((cancel as ApiError).message).toBe('job 3 has already ended (done)');
    await expect(restartJob(client, 4)).rejects.toMatchObject({ status: 403, message: 'job 4 belongs to bob' });
    await expect(submitJob(client, { shell: '' })).rejects.toMatchObject({ status: 400, message: 'empty command' });
    const job = await submitJob(client, { shell: 'echo hi', gpus: 0 });
    expect(job.id).toBe(9);
    expect(fetch.calls.at(-1)!.body).toEqual({ shell: 'echo hi', gpus: 0 });
    expect((await getJob(client, 9)).id).toBe(9);
    await expect(getJob(client, 10)).rejects.toMatchObject({ status: 404 });
  });

  it('submits a sweep as one POST /jobs/batch and answers its jobs in order; a 400 names the bad one', async () => {
    // Bad input: a batch whose second body the server refuses must reject with the server's text.
    const fetch = fakeFetch((c) => {
      const path = new URL(c.url).pathname;
      if (path !== '/api/v1/jobs/batch' || c.method !== 'POST') return { status: 404, body: { error: 'not found' } };
      const jobs = (c.body as { jobs: { shell?: unknown }[] }).jobs;
      const bad = jobs.findIndex((j) => typeof j.shell !== 'string');
      if (bad >= 0) return { status: 400, body: { error: `jobs[${bad}]: "shell" must be a string` } };
      return { status: 201, body: { jobs: jobs.map((j, i) => makeJob({ id: 20 + i, shell: j.shell as string, command: null })) } };
    });
    const client = new ServerClient('http://h:1', { fetch, token: 'tok' });
    const requests = [{ shell: 'echo lr=1', name: 'shell lr=1' }, { shell: 'echo lr=2', name: 'shell lr=2' }];
    const jobs = await submitJobs(client, requests);
    expect(jobs.map((j) => [j.id, j.shell])).toEqual([
      [20, 'echo lr=1'],
      [21, 'echo lr=2'],
    ]);
    expect(fetch.calls.at(-1)!.url).toBe('http://h:1/api/v1/jobs/batch');
    expect(fetch.calls.at(-1)!.body).toEqual({ jobs: requests });
    await expect(submitJobs(client, [{ shell: 'ok' }, { command: ['x'] }])).rejects.toMatchObject({
      status: 400,
      message: 'jobs[1]: "shell" must be a string',
    });
  });
});

/** Collects what a stream delivers. */
function collector() {
  const chunks: { text: string; offset: number }[] = [];
  const states: (OutputStreamState | string)[] = [];
  const ends: OutputEnd[] = [];
  const decoder = new TextDecoder();
  return {
    chunks,
    states,
    ends,
    text: () => chunks.map((c) => c.text).join(''),
    handlers: {
      onData: (bytes: Uint8Array, offset: number) => chunks.push({ text: decoder.decode(bytes), offset }),
      onEnd: (end: OutputEnd) => ends.push(end),
      onState: (s: OutputStreamState, detail: string | null) => states.push(detail ? `${s}: ${detail}` : s),
    },
  };
}

describe('JobOutputStream', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const factory = (url: string) => new FakeSocket(url);

  it('authenticates first, resumes at 0, appends binary frames in order and stops at end', () => {
    const got = collector();
    const stream = new JobOutputStream('https://lab:8443', () => 'tok', 12, got.handlers, { factory });
    stream.start();
    const s = FakeSocket.all[0];
    expect(s.url).toBe('wss://lab:8443/api/v1/jobs/12/output/ws');
    expect(s.binaryType).toBe('arraybuffer');
    s.open();
    expect(s.sent).toEqual([{ type: 'auth', token: 'tok' }]);
    // Bad input: a binary frame before the resume was sent is not part of the stream.
    s.receiveBinary('early');
    s.receive({ type: 'auth.ok', user: 'admin' });
    expect(s.sent[1]).toEqual({ type: 'resume', offset: 0 });
    s.receiveBinary('\x1b[32mgreen\x1b[0m\n');
    s.receiveBinary('50%\r100%\n');
    s.receive({ type: 'end', state: 'done', exit_code: 0, signal: null, output_bytes: 24 });
    expect(got.text()).toBe('\x1b[32mgreen\x1b[0m\n50%\r100%\n');
    expect(got.chunks.map((c) => c.offset)).toEqual([0, 15]);
    expect(stream.offset).toBe(24);
    expect(got.ends).toEqual([{ type: 'end', state: 'done', exit_code: 0, signal: null, output_bytes: 24 }]);
    expect(stream.state).toBe('ended');
    expect(s.closed).toBe(true);
    // After the end nothing reconnects.
    s.serverClose(1000);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all.length).toBe(1);
  });

  it('resumes after a drop at exactly the bytes held: no gap, no duplicate, stale frames dropped', () => {
    // Bad input: the old socket delivering a late frame after the reconnect (would duplicate bytes).
    const got = collector();
    const stream = new JobOutputStream('http://h:1', () => 'tok', 5, got.handlers, { factory, offset: 3, backoff: () => 100 });
    stream.start();
    const first = FakeSocket.all[0];
    first.open();
    first.receive({ type: 'auth.ok' });
    expect(first.sent[1]).toEqual({ type: 'resume', offset: 3 });
    first.receiveBinary('line 1\n');
    first.serverClose(1006, 'gone');
    expect(stream.state).toBe('reconnecting');
    first.receiveBinary('line 1\n');
    vi.advanceTimersByTime(99);
    expect(FakeSocket.all.length).toBe(1);
    vi.advanceTimersByTime(1);
    const second = FakeSocket.all[1];
    second.open();
    expect(second.sent[0]).toEqual({ type: 'auth', token: 'tok' });
    second.receive({ type: 'auth.ok' });
    expect(second.sent[1]).toEqual({ type: 'resume', offset: 10 });
    second.receiveBinary('line 2\n');
    expect(got.text()).toBe('line 1\nline 2\n');
    expect(got.chunks.map((c) => c.offset)).toEqual([3, 10]);
    expect(stream.offset).toBe(17);
    expect(got.states).toEqual(['connecting', 'streaming', 'reconnecting', 'streaming']);
  });

  it('fails without retrying on 4404 (unknown job) and 4401 (bad token); stop() closes', () => {
    // Bad input: a job id the server does not know, an expired token.
    const unknown = collector();
    new JobOutputStream('http://h:1', () => 'tok', 99, unknown.handlers, { factory }).start();
    FakeSocket.all[0].open();
    FakeSocket.all[0].serverClose(4404, 'no job 99');
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all.length).toBe(1);
    expect(unknown.states.at(-1)).toBe('failed: no job 99');

    const badToken = collector();
    new JobOutputStream('http://h:1', () => 'old', 1, badToken.handlers, { factory }).start();
    FakeSocket.all[1].open();
    FakeSocket.all[1].serverClose(4401, '');
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all.length).toBe(2);
    expect(badToken.states.at(-1)).toMatch(/^failed: /);

    const stopped = collector();
    const stream = new JobOutputStream('http://h:1', () => 'tok', 1, stopped.handlers, { factory });
    stream.start();
    const s = FakeSocket.all[2];
    s.open();
    s.receive({ type: 'auth.ok' });
    stream.stop();
    expect(s.closed).toBe(true);
    s.receiveBinary('after stop');
    expect(stopped.chunks).toEqual([]);
    expect(stream.state).toBe('stopped');
  });

  it('names the endpoint of a job', () => {
    expect(outputWsUrl('http://127.0.0.1:8080', 3)).toBe('ws://127.0.0.1:8080/api/v1/jobs/3/output/ws');
  });
});
