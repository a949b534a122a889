import type { ServerClient } from '../api/client';
import { ApiError, errorMessage } from '../api/errors';
import * as jobsApi from '../api/jobs';
import type { TopicRegistry } from '../api/topics';
import {
  ENDED_JOB_STATES,
  type GpuLane,
  type Job,
  type JobExecutor,
  type JobListResponse,
  type JobState,
  type SlurmCluster,
} from '../api/types';
import type { ServerMessage } from '../api/ws';
import { EMPTY_FILTER, matchesFilter, type JobFilter } from '../jobs';
import { listCluster, listExecutor } from '../slurm';

/** One job of one server. Replaced (never changed in place) when the job changes. */
export interface JobRow {
  key: string;
  serverId: string;
  job: Job;
}

export function jobKey(serverId: string, id: number): string {
  return `${serverId}\u0000${id}`;
}

const FINISHED_STATES: JobState[] = ['done', 'failed', 'cancelled'];

/**
 * `next` as the newer copy of `old`: lists and events leave the git diff out (only GET /jobs/{id}
 * has it), so a diff `old` holds is kept while the commit is the same. An ended job never changes
 * again, so a copy that says it still runs is an older answer that arrived late (the answer of a
 * cancel can come after the event of the job's end) and is ignored.
 */
export function mergeJob(old: Job | undefined, next: Job): Job {
  if (old && FINISHED_STATES.includes(old.state) && !FINISHED_STATES.includes(next.state)) return old;
  const diff = old?.git?.diff;
  if (diff === undefined || diff === null || !next.git || next.git.diff !== undefined) return next;
  if (next.git.commit !== old!.git!.commit) return next;
  return { ...next, git: { ...next.git, diff } };
}

/** What the store knows about one server's jobs. */
export interface ServerJobsStatus {
  loading: boolean;
  loaded: boolean;
  /** The last load's error text, or null. */
  error: string | null;
  /** The server has no job host (GET /jobs is 404: an older server). */
  unsupported: boolean;
  /** More (older) history can be paged in. */
  hasMore: boolean;
}

const ACTIVE_STATES: JobState[] = ['queued', 'running'];

interface ServerJobs {
  jobs: Map<number, Job>;
  /** `next_before` of the last history page: null when the history is complete. */
  cursor: number | null;
  counts: Partial<Record<JobState, number>>;
  gpus: GpuLane[];
  /** Where the server runs its jobs (the list's `executor`). */
  executor: JobExecutor;
  /** Its Slurm partitions (the list's `cluster`); null for local. */
  cluster: SlurmCluster | null;
  status: ServerJobsStatus;
  /** Events that arrived while a load was in flight, applied after its answer. */
  pending: ServerMessage[] | null;
  /** Bumped by every load, so an older load's answer is dropped. */
  generation: number;
}

export interface JobsStoreOptions {
  /** Jobs per history page. */
  historyPage?: number;
}

/**
 * The jobs of every added server that the Jobs pages watch: per server the queue and running
 * jobs (all of them), the history newest first in pages (`loadOlder`), the state counts and the
 * GPU lanes, all fetched with the current filter. Live `jobs.*` events are merged in; events
 * that arrive while a list is loading are held and applied after it, so an older list never
 * overwrites a newer event. Single jobs opened on their own page (`setDetail`) are kept apart
 * and follow the same events. `version` changes on every mutation.
 */
export class JobsStore {
  version = $state(0);
  filter = $state.raw<JobFilter>(EMPTY_FILTER);

  private readonly servers = new Map<string, ServerJobs>();
  private readonly details = new Map<string, Job>();
  private readonly historyPage: number;

  constructor(
    private readonly clientFor: (serverId: string) => ServerClient | undefined,
    options: JobsStoreOptions = {},
  ) {
    this.historyPage = options.historyPage ?? 50;
  }

  private bump(): void {
    this.version++;
  }

  private entry(serverId: string): ServerJobs {
    let s = this.servers.get(serverId);
    if (!s) {
      s = {
        jobs: new Map(),
        cursor: null,
        counts: {},
        gpus: [],
        executor: 'local',
        cluster: null,
        status: { loading: false, loaded: false, error: null, unsupported: false, hasMore: false },
        pending: null,
        generation: 0,
      };
      this.servers.set(serverId, s);
    }
    return s;
  }

  /** Loads every given server that was not loaded yet (the page calls it on open). */
  watch(serverIds: readonly string[]): void {
    for (const id of serverIds) if (!this.servers.has(id)) void this.load(id);
  }

  /** Whether the Jobs pages have loaded this server (so a reconnect should reload it). */
  watched(serverId: string): boolean {
    return this.servers.has(serverId);
  }

  /** A new filter: every watched server is loaded again with it. */
  setFilter(filter: JobFilter): void {
    this.filter = filter;
    for (const id of [...this.servers.keys()]) void this.load(id);
  }

  /** Loads the queue, running jobs and the first history page of one server with the current filter. */
  async load(serverId: string): Promise<void> {
    const s = this.entry(serverId);
    const client = this.clientFor(serverId);
    const generation = ++s.generation;
    if (!client || !client.token) {
      s.status = { ...s.status, loading: false, error: client ? 'Not logged in.' : 'Unknown server.' };
      this.bump();
      return;
    }
    s.pending = [];
    s.status = { ...s.status, loading: true };
    this.bump();
    const filter = this.filter;
    const history = ENDED_JOB_STATES.filter((st) => filter.states.length === 0 || filter.states.includes(st));
    try {
      const [active, older] = await Promise.all([
        jobsApi.listJobs(client, { states: ACTIVE_STATES, user: filter.user, q: filter.q, limit: jobsApi.MAX_JOBS_LIMIT }),
        history.length
          ? jobsApi.listJobs(client, { states: history, user: filter.user, q: filter.q, limit: this.historyPage })
          : Promise.resolve<JobListResponse | null>(null),
      ]);
      if (this.servers.get(serverId) !== s || s.generation !== generation) return;
      s.jobs = new Map();
      for (const job of [...(active.jobs ?? []), ...(older?.jobs ?? [])]) s.jobs.set(job.id, job);
      s.cursor = older ? (older.next_before ?? null) : null;
      s.counts = { ...(active.counts ?? {}) };
      s.gpus = active.gpus ?? [];
      s.executor = listExecutor(active);
      s.cluster = listCluster(active);
      s.status = { loading: false, loaded: true, error: null, unsupported: false, hasMore: s.cursor !== null };
      const pending = s.pending ?? [];
      s.pending = null;
      for (const msg of pending) this.applyTo(s, msg);
    } catch (e) {
      if (this.servers.get(serverId) !== s || s.generation !== generation) return;
      const pending = s.pending ?? [];
      s.pending = null;
      const unsupported = e instanceof ApiError && e.status === 404;
      s.status = {
        ...s.status,
        loading: false,
        unsupported,
        error: unsupported ? 'This server has no job host (its version has no /api/v1/jobs).' : errorMessage(e),
      };
      for (const msg of pending) this.applyTo(s, msg);
    }
    this.bump();
  }

  /**
   * Fetches the executor and the Slurm partitions again (no event carries them): one tiny list
   * page, whose jobs are left alone. Errors are dropped; the next load or refresh tries again.
   */
  async refreshCluster(serverId: string): Promise<void> {
    const s = this.servers.get(serverId);
    const client = this.clientFor(serverId);
    if (!s || !client || !client.token || s.status.loading) return;
    const generation = s.generation;
    try {
      const answer = await jobsApi.listJobs(client, { states: ['queued'], limit: 1 });
      if (this.servers.get(serverId) !== s || s.generation !== generation) return;
      s.executor = listExecutor(answer);
      s.cluster = listCluster(answer);
      this.bump();
    } catch {
      // Kept as it was: the panel shows the last partitions it had.
    }
  }

  /** Pages in the next (older) history page of each given server that has more. */
  async loadOlder(serverIds: readonly string[]): Promise<void> {
    await Promise.all(serverIds.map((id) => this.loadOlderOf(id)));
  }

  private async loadOlderOf(serverId: string): Promise<void> {
    const s = this.servers.get(serverId);
    const client = this.clientFor(serverId);
    if (!s || !client || s.cursor === null || s.status.loading) return;
    const generation = s.generation;
    const filter = this.filter;
    const states = ENDED_JOB_STATES.filter((st) => filter.states.length === 0 || filter.states.includes(st));
    s.status = { ...s.status, loading: true };
    this.bump();
    try {
      const page = await jobsApi.listJobs(client, { states, user: filter.user, q: filter.q, limit: this.historyPage, before: s.cursor });
      if (this.servers.get(serverId) !== s || s.generation !== generation) return;
      // A job that changed since (an event) is newer than the page's copy: keep the event's.
      for (const job of page.jobs ?? []) if (!s.jobs.has(job.id)) s.jobs.set(job.id, job);
      s.cursor = page.next_before ?? null;
      s.status = { ...s.status, loading: false, error: null, hasMore: s.cursor !== null };
    } catch (e) {
      if (this.servers.get(serverId) !== s || s.generation !== generation) return;
      s.status = { ...s.status, loading: false, error: errorMessage(e) };
    }
    this.bump();
  }

  /** Applies one `jobs.*` event of a server. Returns false for messages it does not know. */
  apply(serverId: string, msg: ServerMessage): boolean {
    const known = msg.type === 'jobs.added' || msg.type === 'jobs.updated' || msg.type === 'jobs.gpus';
    if (!known) return false;
    const s = this.servers.get(serverId);
    if (s?.pending) s.pending.push(msg);
    else if (s) this.applyTo(s, msg);
    // Single jobs follow their events even on servers the list does not watch.
    const job = msg.job as Job | undefined;
    const key = job && typeof job.id === 'number' ? jobKey(serverId, job.id) : null;
    if (msg.type !== 'jobs.gpus' && job && key && this.details.has(key)) this.details.set(key, mergeJob(this.details.get(key), job));
    this.bump();
    return true;
  }

  private applyTo(s: ServerJobs, msg: ServerMessage): void {
    if (msg.type === 'jobs.gpus') {
      if (Array.isArray(msg.gpus)) s.gpus = msg.gpus as GpuLane[];
      return;
    }
    const job = msg.job as Job | undefined;
    if (!job || typeof job.id !== 'number') return;
    const old = s.jobs.get(job.id);
    if (old && old.state !== job.state) {
      this.count(s, old.state, -1);
      this.count(s, job.state, +1);
    } else if (!old && msg.type === 'jobs.added') {
      this.count(s, job.state, +1);
    }
    if (old || matchesFilter(job, this.filter)) s.jobs.set(job.id, job);
  }

  private count(s: ServerJobs, state: JobState, delta: number): void {
    s.counts = { ...s.counts, [state]: Math.max(0, (s.counts[state] ?? 0) + delta) };
  }

  /** Every loaded job of the given servers (all watched servers when omitted). */
  rows(serverIds?: readonly string[]): JobRow[] {
    void this.version;
    const out: JobRow[] = [];
    for (const [serverId, s] of this.servers) {
      if (serverIds && !serverIds.includes(serverId)) continue;
      for (const job of s.jobs.values()) out.push({ key: jobKey(serverId, job.id), serverId, job });
    }
    return out;
  }

  /** One job: from its own page's copy, else from the lists. */
  job(serverId: string, id: number): Job | undefined {
    void this.version;
    return this.details.get(jobKey(serverId, id)) ?? this.servers.get(serverId)?.jobs.get(id);
  }

  /** Keeps `job` as the copy a job page shows; later events of it replace it. */
  setDetail(serverId: string, job: Job): void {
    const key = jobKey(serverId, job.id);
    this.details.set(key, mergeJob(this.details.get(key), job));
    const s = this.servers.get(serverId);
    if (s && s.jobs.has(job.id)) s.jobs.set(job.id, mergeJob(s.jobs.get(job.id), job));
    this.bump();
  }

  /**
   * Jobs this page just submitted (a sweep's answer), listed at once rather than when their
   * `jobs.added` events arrive. A job an event already brought is newer (it may have ended since)
   * and is kept; while a list loads nothing is added, as that load and its held events bring them.
   */
  addSubmitted(serverId: string, jobs: readonly Job[]): void {
    const s = this.servers.get(serverId);
    if (!s || s.pending) return;
    for (const job of jobs) if (!s.jobs.has(job.id)) this.applyTo(s, { type: 'jobs.added', job });
    this.bump();
  }

  forgetDetail(serverId: string, id: number): void {
    if (this.details.delete(jobKey(serverId, id))) this.bump();
  }

  lanes(serverId: string): GpuLane[] {
    void this.version;
    return this.servers.get(serverId)?.gpus ?? [];
  }

  /** Where a server runs its jobs; 'local' until its list is loaded. */
  executor(serverId: string): JobExecutor {
    void this.version;
    return this.servers.get(serverId)?.executor ?? 'local';
  }

  /** A server's Slurm partitions from its last list; null for local (or not loaded). */
  cluster(serverId: string): SlurmCluster | null {
    void this.version;
    return this.servers.get(serverId)?.cluster ?? null;
  }

  counts(serverId: string): Partial<Record<JobState, number>> {
    void this.version;
    return this.servers.get(serverId)?.counts ?? {};
  }

  status(serverId: string): ServerJobsStatus | undefined {
    void this.version;
    return this.servers.get(serverId)?.status;
  }

  removeServer(serverId: string): void {
    this.servers.delete(serverId);
    for (const key of [...this.details.keys()]) if (key.startsWith(`${serverId}\u0000`)) this.details.delete(key);
    this.bump();
  }
}

/** Makes `store` the handler of the jobs topic: `jobs.added`, `jobs.updated`, `jobs.gpus`. */
export function registerJobsTopic(topics: TopicRegistry, store: JobsStore): () => void {
  return topics.register(jobsApi.JOBS_TOPIC, (serverId, msg) => {
    store.apply(serverId, msg);
  });
}
