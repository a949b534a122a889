import { describe, expect, it } from 'vitest';
import { waitText } from './jobs';
import {
  executorText,
  jobExecutor,
  listCluster,
  listExecutor,
  nodeCounts,
  nodeCountsText,
  partitionUp,
  slurmGpusText,
  slurmReason,
  waitLine,
  waitParts,
} from './slurm';
import { makeCluster, makeJob, makePartition, makeSlurmJob } from './testjobs';

describe('slurm helpers', () => {
  it('reads the executor of jobs and lists, a missing one (older servers) as local', () => {
    // Bad input: an older server's job and list without `executor`, an unknown executor name.
    const old = makeJob();
    delete old.executor;
    expect(jobExecutor(old)).toBe('local');
    expect(jobExecutor(makeSlurmJob())).toBe('slurm');
    expect(jobExecutor({ executor: 'pbs' as never })).toBe('local');
    expect(listExecutor({})).toBe('local');
    expect(listExecutor({ executor: 'slurm' })).toBe('slurm');
  });

  it('reads the cluster of a list answer, null when there is none or it is malformed', () => {
    // Bad input: a cluster without partitions or fields, a string instead of an object.
    expect(listCluster({})).toBeNull();
    expect(listCluster({ cluster: null })).toBeNull();
    expect(listCluster({ cluster: 'x' as never })).toBeNull();
    expect(listCluster({ cluster: {} as never })).toEqual({ partitions: [], error: null, updated_at: null });
    const cluster = makeCluster({ error: 'sinfo: timeout' });
    expect(listCluster({ cluster })).toEqual(cluster);
  });

  it('says where a job runs and what it asked Slurm for', () => {
    expect(executorText(makeJob())).toBe('local');
    expect(executorText(makeSlurmJob({ slurm_job_id: '123' }))).toBe('Slurm job 123');
    expect(executorText(makeSlurmJob({ slurm_job_id: null }))).toBe('Slurm (not submitted yet)');
    expect(slurmGpusText(makeSlurmJob({ gpus_requested: 2 }))).toBe('2 from Slurm (--gres=gpu:2)');
    expect(slurmGpusText(makeSlurmJob({ gpus_requested: 0 }))).toBe('none (CPU only)');
    expect(slurmGpusText(makeSlurmJob({ gpus_requested: null, gpu_ids_requested: [0, 3] }))).toBe('2 from Slurm (--gres=gpu:2)');
  });

  it('splits Slurm\'s pending reason out of waiting_for', () => {
    expect(slurmReason('slurm: Resources')).toBe('Resources');
    expect(slurmReason('slurm')).toBe('');
    expect(slurmReason('gpu')).toBeNull();
    expect(slurmReason('submit retry')).toBeNull();
    expect(slurmReason(null)).toBeNull();
  });

  it('shows Slurm\'s reason as a "Slurm" tag with a hint, not repeating the server\'s reason', () => {
    // Bad input: the server's reason repeating Slurm's; an unknown Slurm reason; a bare "slurm".
    const resources = makeSlurmJob({ waiting_for: 'slurm: Resources', reason: 'waiting in Slurm: Resources' });
    expect(waitParts(resources)).toEqual({ tag: 'Slurm', tone: 'slurm', text: 'Resources', detail: 'the nodes it needs are busy' });
    expect(waitLine(resources)).toBe('Slurm: Resources (the nodes it needs are busy)');
    expect(waitParts(makeSlurmJob({ waiting_for: 'slurm: Priority', reason: null }))!.detail).toBe('jobs of higher priority go first');
    expect(waitParts(makeSlurmJob({ waiting_for: 'slurm: QOSGrpCpuLimit', reason: null }))).toEqual({
      tag: 'Slurm',
      tone: 'slurm',
      text: 'QOSGrpCpuLimit',
      detail: null,
    });
    expect(waitParts(makeSlurmJob({ waiting_for: 'slurm', reason: 'handed to Slurm' }))).toEqual({
      tag: 'Slurm',
      tone: 'slurm',
      text: 'waiting in Slurm',
      detail: 'handed to Slurm',
    });
  });

  it('shows "submit retry" as a warning with the server\'s words, and local waits as before', () => {
    const retry = makeSlurmJob({
      waiting_for: 'submit retry',
      slurm_job_id: null,
      reason: 'Slurm cannot be reached (sbatch: error: Unable to contact slurm controller); trying again in 4 s',
    });
    expect(waitParts(retry)).toMatchObject({ tag: 'submit retry', tone: 'warn', text: /trying again in 4 s$/ });
    expect(waitParts(makeSlurmJob({ waiting_for: 'submit retry', reason: null }))!.text).toMatch(/cannot be reached/);
    expect(waitParts(makeJob({ waiting_for: 'gpu', reason: null }))).toEqual({ tag: 'gpu', tone: 'plain', text: 'waits for a free GPU', detail: null });
    expect(waitParts(makeJob({ waiting_for: null, reason: null }))).toEqual({ tag: null, tone: 'plain', text: 'next in line', detail: null });
    expect(waitParts(makeJob({ state: 'running', waiting_for: 'gpu' }))).toBeNull();
    expect(waitLine(makeJob({ state: 'done' }))).toBeNull();
  });

  it('words Slurm waits in waitText when the server gave no reason', () => {
    expect(waitText(makeSlurmJob({ waiting_for: 'slurm: Dependency', reason: null }))).toBe('waiting in Slurm: Dependency');
    expect(waitText(makeSlurmJob({ waiting_for: 'submit retry', reason: null }))).toMatch(/tries again/);
    expect(waitText(makeSlurmJob({ waiting_for: 'slurm: Resources', reason: 'waiting in Slurm: Resources' }))).toBe('waiting in Slurm: Resources');
  });

  it('counts a partition\'s nodes by state, idle first, leaving out zeros', () => {
    // Bad input: zero counts, unknown states, a missing `nodes` object.
    const p = makePartition({ nodes: { mixed: 2, idle: 1, zeta: 1, down: 1, allocated: 0 } });
    expect(nodeCountsText(p)).toBe('1 idle · 2 mixed · 1 down · 1 zeta');
    expect(nodeCounts(p).map((c) => c.tone)).toEqual(['free', 'busy', 'bad', 'busy']);
    expect(nodeCountsText(makePartition({ nodes: {} }))).toBe('no nodes');
    expect(nodeCountsText({ nodes: undefined as never })).toBe('no nodes');
    expect(partitionUp(makePartition({ available: 'up' }))).toBe(true);
    expect(partitionUp(makePartition({ available: 'UP' }))).toBe(true);
    expect(partitionUp(makePartition({ available: 'drain' }))).toBe(false);
    expect(partitionUp(makePartition({ available: '' }))).toBe(false);
  });
});
