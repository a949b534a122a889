import { describe, expect, it, vi } from 'vitest';
import { ServerClient } from '../../lib/api/client';
import { fakeFetch } from '../../lib/api/fakes';
import type { JobListResponse } from '../../lib/api/types';
import { JobsStore } from '../../lib/stores/jobs.svelte';
import { cellTexts, findAll, hasClass, renderHtml, textOf, type Rendered } from '../../lib/testhtml';
import { makeCluster, makeJob, makeSlurmJob } from '../../lib/testjobs';
import GpuLanes from './GpuLanes.svelte';
import JobFacts from './JobFacts.svelte';
import JobTable from './JobTable.svelte';
import SlurmPartitions from './SlurmPartitions.svelte';

// The Jobs page's store, with two servers: "s" answers with the Slurm executor, "l" with local lanes.
const lists: Record<string, Partial<JobListResponse>> = {
  s: { jobs: [], counts: {}, gpus: [], executor: 'slurm', cluster: makeCluster() },
  l: { jobs: [], counts: {}, gpus: [{ id: 0, job: null, held_for: null, foreign: [], memory_used_bytes: 0, free: true }] },
};
const store = vi.hoisted(() => ({ current: null as JobsStore | null }));
vi.mock('../../lib/stores/app', () => ({
  get app() {
    return { jobs: store.current };
  },
}));

function jobsStore(): JobsStore {
  const clients: Record<string, ServerClient> = {};
  for (const id of Object.keys(lists)) {
    const fetch = fakeFetch(() => ({ body: { next_before: null, ...lists[id] } }));
    clients[id] = new ServerClient(`http://${id}:1`, { fetch, token: 'tok' });
  }
  return new JobsStore((id) => clients[id]);
}

const rows = (jobs: ReturnType<typeof makeJob>[]) => jobs.map((job) => ({ key: `a:${job.id}`, serverId: 'a', job }));

describe('SlurmPartitions', () => {
  it('shows one row per partition: the default marked, up or down, nodes by state out of the total, gres', () => {
    const r = renderHtml(SlurmPartitions, { serverId: 'a', name: 'gpu-box', cluster: makeCluster() });
    const parts = r.all('slurm-partition');
    expect(parts.map((p) => p.attrs['data-partition'])).toEqual(['debug', 'long']);
    expect(r.all('slurm-default').length).toBe(1);
    expect(cellTexts(parts[0])).toEqual(['debugdefault', 'up', '1 idle · 2 mixed of 3', 'gpu:2']);
    expect(cellTexts(parts[1])).toEqual(['long', 'down', '1 drained · 1 down of 2', '–']);
    const avail = r.all('slurm-available');
    expect(avail.map((a) => [hasClass(a, 'up'), hasClass(a, 'down')])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(r.get('slurm-error')).toBeNull();
    expect(r.get('slurm-waiting')).toBeNull();
    expect(r.text('slurm-partitions')).toContain('gpu-box');
  });

  it('warns with sinfo\'s error, and says it waits for the first sinfo before one ran', () => {
    // Bad input: sinfo failing (kept partitions stay shown), no sinfo yet, no cluster at all, no partitions.
    const failing = renderHtml(SlurmPartitions, { serverId: 'a', name: 'a', cluster: makeCluster({ error: 'sinfo: Unable to contact slurm controller' }) });
    expect(failing.text('slurm-error')).toBe('sinfo failed: sinfo: Unable to contact slurm controller');
    expect(failing.all('slurm-partition').length).toBe(2);
    const first = renderHtml(SlurmPartitions, { serverId: 'a', name: 'a', cluster: makeCluster({ partitions: [], updated_at: null }) });
    expect(first.text('slurm-waiting')).toMatch(/waiting for the first sinfo/);
    expect(first.get('slurm-updated')).toBeNull();
    expect(renderHtml(SlurmPartitions, { serverId: 'a', name: 'a', cluster: null }).text('slurm-waiting')).toMatch(/first sinfo/);
    expect(renderHtml(SlurmPartitions, { serverId: 'a', name: 'a', cluster: makeCluster({ partitions: [] }) }).text('slurm-none')).toMatch(/no partitions/);
  });
});

describe('GpuLanes with the Slurm executor', () => {
  it('shows the Slurm partitions of a Slurm server instead of lanes, and the lanes of a local one', async () => {
    store.current = jobsStore();
    await Promise.all([store.current.load('s'), store.current.load('l')]);
    const r = renderHtml(GpuLanes, { serverIds: ['s', 'l'], names: { s: 'cluster', l: 'box' } });
    expect(r.all('slurm-partitions').map((e) => e.attrs['data-server-id'])).toEqual(['s']);
    expect(r.all('slurm-partition').length).toBe(2);
    expect(r.all('gpu-lanes').map((e) => e.attrs['data-server-id'])).toEqual(['l']);
    expect(r.all('gpu-lane').length).toBe(1);
  });
});

describe('JobFacts', () => {
  const facts = (job: ReturnType<typeof makeJob>) => renderHtml(JobFacts, { job, serverId: 'a', run: undefined });

  it('shows the executor and, for Slurm, the node list and the GPUs asked from Slurm', () => {
    const local = facts(makeJob({ state: 'running', gpus: [0, 1], gpus_requested: 2 }));
    expect(local.text('job-executor')).toBe('local');
    expect(local.get('job-nodes')).toBeNull();
    expect(local.text('job-gpus')).toBe('0, 1 · asked for 2');
    const slurm = facts(makeSlurmJob({ state: 'running', slurm_job_id: '123', nodes: 'node[01-02]', gpus_requested: 2 }));
    expect(slurm.text('job-executor')).toBe('Slurm job 123');
    expect(slurm.get('job-executor')!.attrs['data-executor']).toBe('slurm');
    expect(slurm.text('job-nodes')).toBe('node[01-02]');
    expect(slurm.text('job-gpus')).toBe('2 from Slurm (--gres=gpu:2)');
  });

  it('says a Slurm job is not submitted yet, and shows Slurm\'s wait and "submit retry" as tags', () => {
    // Bad input: an older server's job without the new fields reads as local.
    const old = makeJob({ state: 'queued', waiting_for: 'gpu', reason: null });
    delete old.executor;
    delete old.slurm_job_id;
    delete old.nodes;
    const o = facts(old);
    expect(o.text('job-executor')).toBe('local');
    expect(o.text('job-wait')).toBe('gpu waits for a free GPU');

    const waiting = facts(makeSlurmJob({ waiting_for: 'slurm: Resources', reason: 'waiting in Slurm: Resources' }));
    expect(waiting.text('job-wait-tag')).toBe('Slurm');
    expect(waiting.get('job-wait-tag')!.attrs['data-tone']).toBe('slurm');
    expect(waiting.text('job-wait-text')).toBe('Resources');
    expect(waiting.text('job-wait-detail')).toBe('· the nodes it needs are busy');

    const retry = facts(
      makeSlurmJob({ slurm_job_id: null, waiting_for: 'submit retry', reason: 'Slurm cannot be reached (connection refused); trying again in 4 s' }),
    );
    expect(retry.text('job-executor')).toBe('Slurm (not submitted yet)');
    expect(retry.get('job-wait-tag')!.attrs['data-tone']).toBe('warn');
    expect(hasClass(retry.get('job-wait-tag')!, 't-warn')).toBe(true);
    expect(retry.text('job-wait')).toBe('submit retry Slurm cannot be reached (connection refused); trying again in 4 s');
  });
});

describe('JobTable', () => {
  const table = (kind: 'queue' | 'running' | 'history', jobs: ReturnType<typeof makeJob>[]) =>
    renderHtml(JobTable, { kind, title: kind, rows: rows(jobs), names: {}, showServer: false, empty: '–' });
  const heads = (r: Rendered) => findAll(r.root, (el) => el.tag === 'th').length;

  it('marks Slurm jobs with their Slurm id and shows their nodes, in the same columns as local jobs', () => {
    const jobs = [
      makeJob({ id: 1, state: 'running', gpus: [3] }),
      makeSlurmJob({ id: 2, state: 'running', slurm_job_id: '123', nodes: 'node[01-02]', gpus_requested: 2 }),
      makeSlurmJob({ id: 3, state: 'running', slurm_job_id: null }),
    ];
    const r = table('running', jobs);
    expect(r.all('job-slurm').map(textOf)).toEqual(['slurm 123', 'slurm']);
    expect(r.all('job-slurm')[0].attrs.title).toBe('Slurm job 123');
    expect(r.all('job-nodes').map(textOf)).toEqual(['· node[01-02]']);
    const cells = r.all('job-row').map(cellTexts);
    expect(cells.map((c) => c[5])).toEqual(['3', '2 · node[01-02]', '1']);
    expect(cells.map((c) => c.length)).toEqual([heads(r), heads(r), heads(r)]);
    expect(heads(r)).toBe(8);
    const history = table('history', [makeJob({ id: 4, state: 'done' }), makeSlurmJob({ id: 5, state: 'done', nodes: 'n1' })]);
    expect(heads(history)).toBe(9);
    expect(history.all('job-row').map((row) => cellTexts(row).length)).toEqual([9, 9]);
  });

  it('shows why queued jobs wait: Slurm\'s reason and "submit retry" as tags', () => {
    const r = table('queue', [
      makeSlurmJob({ id: 1, waiting_for: 'slurm: Priority', reason: 'waiting in Slurm: Priority' }),
      makeSlurmJob({ id: 2, waiting_for: 'submit retry', slurm_job_id: null, reason: 'Slurm cannot be reached (x); trying again in 8 s' }),
      makeJob({ id: 3, waiting_for: 'group limit', reason: null }),
    ]);
    const waits = r.all('job-wait');
    expect(waits.map(textOf)).toEqual([
      'Slurm Priority · jobs of higher priority go first',
      'submit retry Slurm cannot be reached (x); trying again in 8 s',
      'group limit waits: its group runs its limit',
    ]);
    expect(waits[0].attrs.title).toBe('Slurm: Priority (jobs of higher priority go first)');
    expect(r.all('job-wait-tag').map((t) => t.attrs['data-tone'])).toEqual(['slurm', 'warn', 'plain']);
  });
});

