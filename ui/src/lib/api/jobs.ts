// The jobs feature's HTTP calls (list, one job, output range, cancel, restart, submit, a sweep's
// batch submit) and its WebSocket topic. The live output stream lives in jobOutput.ts.
import type { ServerClient } from './client';
import type { Job, JobListResponse, JobState, SubmitRequest } from './types';

/** The topic whose events ("jobs.added", "jobs.updated", "jobs.gpus") carry job and GPU lane changes. */
export const JOBS_TOPIC = 'jobs';

/** The largest page GET /jobs serves. */
export const MAX_JOBS_LIMIT = 1000;

export interface JobQuery {
  /** One state or several (sent as a comma list); none: every state. */
  states?: readonly JobState[];
  user?: string;
  /** A substring of the name or the command. */
  q?: string;
  /** 1–1000; the server's default is 100. */
  limit?: number;
  /** Only jobs older than this id (the previous page's `next_before`). */
  before?: number | null;
}

/** GET /jobs: newest first; `next_before` is the cursor of the next (older) page, null at the end. */
export function listJobs(client: ServerClient, query: JobQuery = {}): Promise<JobListResponse> {
  const text = (value: string | undefined) => (value && value.trim() !== '' ? value.trim() : undefined);
  return client.get('/jobs', {
    state: query.states && query.states.length ? query.states.join(',') : undefined,
    user: text(query.user),
    q: text(query.q),
    limit: query.limit === undefined ? undefined : Math.min(MAX_JOBS_LIMIT, Math.max(1, Math.round(query.limit))),
    before: query.before ?? undefined,
  });
}

export async function getJob(client: ServerClient, id: number): Promise<Job> {
  return (await client.get<{ job: Job }>(`/jobs/${encodeURIComponent(id)}`)).job;
}

export interface OutputRange {
  /** The bytes from `offset` on (at most `limit`). */
  bytes: Uint8Array;
  /** The output's whole size when the server answered (`X-AILab-Output-Size`). */
  size: number;
}

/** GET /jobs/{id}/output: raw bytes from `offset`. An offset past the end is ApiError 416. */
export async function getOutput(client: ServerClient, id: number, offset = 0, limit?: number): Promise<OutputRange> {
  const { bytes, headers } = await client.requestBytes('GET', `/jobs/${encodeURIComponent(id)}/output`, {
    query: { offset, limit },
  });
  const header = Number(headers.get('X-AILab-Output-Size'));
  return { bytes, size: Number.isFinite(header) && headers.has('X-AILab-Output-Size') ? header : offset + bytes.length };
}

/** POST /jobs/{id}/cancel. 409: the job has ended; 403: another user's job. */
export async function cancelJob(client: ServerClient, id: number): Promise<Job> {
  return (await client.post<{ job: Job }>(`/jobs/${encodeURIComponent(id)}/cancel`)).job;
}

/** POST /jobs/{id}/restart: the new job (its `restarted_from` is `id`). */
export async function restartJob(client: ServerClient, id: number): Promise<Job> {
  return (await client.post<{ job: Job }>(`/jobs/${encodeURIComponent(id)}/restart`)).job;
}

/** POST /jobs: the new job, committed by the server. 400 names what is wrong with the request. */
export async function submitJob(client: ServerClient, request: SubmitRequest): Promise<Job> {
  return (await client.post<{ job: Job }>('/jobs', request)).job;
}

/**
 * POST /jobs/batch (a sweep): 1–1000 bodies as POST /jobs takes them, all stored in one transaction
 * or none; the new jobs come back in the order given. 400 names the first bad one by index
 * ("jobs[3]: …").
 */
export async function submitJobs(client: ServerClient, requests: readonly SubmitRequest[]): Promise<Job[]> {
  return (await client.post<{ jobs: Job[] }>('/jobs/batch', { jobs: requests })).jobs;
}
