// Pure helpers of the Slurm executor: where a job runs, what it asked Slurm for, why it waits in
// Slurm, and the texts of the partitions panel (sinfo's node counts by state).
import type { Job, JobExecutor, JobListResponse, SlurmCluster, SlurmPartition } from './api/types';
import { waitText } from './jobs';

/** A job's executor; a server before the Slurm executor sends none: 'local'. */
export function jobExecutor(job: Pick<Job, 'executor'>): JobExecutor {
  return job.executor === 'slurm' ? 'slurm' : 'local';
}

/** A list answer's executor; a server before the Slurm executor sends none: 'local'. */
export function listExecutor(answer: Pick<JobListResponse, 'executor'>): JobExecutor {
  return answer.executor === 'slurm' ? 'slurm' : 'local';
}

/** The list answer's cluster, or null when it has none (local, older servers, a malformed one). */
export function listCluster(answer: Pick<JobListResponse, 'cluster'>): SlurmCluster | null {
  const c = answer.cluster;
  if (!c || typeof c !== 'object') return null;
  return {
    partitions: Array.isArray(c.partitions) ? c.partitions : [],
    error: c.error ?? null,
    updated_at: c.updated_at ?? null,
  };
}

/** "local", "Slurm job 123", or "Slurm (not submitted yet)". */
export function executorText(job: Pick<Job, 'executor' | 'slurm_job_id'>): string {
  if (jobExecutor(job) === 'local') return 'local';
  return job.slurm_job_id ? `Slurm job ${job.slurm_job_id}` : 'Slurm (not submitted yet)';
}

/** The GPUs a Slurm job asks for: its count, or as many as the ids it named (Slurm picks them). */
export function slurmGpuCount(job: Pick<Job, 'gpus_requested' | 'gpu_ids_requested'>): number {
  if (job.gpus_requested !== null && job.gpus_requested !== undefined) return job.gpus_requested;
  return job.gpu_ids_requested?.length ?? 0;
}

/** "2 from Slurm (--gres=gpu:2)", or "none (CPU only)" for a job that asked for no GPU. */
export function slurmGpusText(job: Pick<Job, 'gpus_requested' | 'gpu_ids_requested'>): string {
  const n = slurmGpuCount(job);
  return n > 0 ? `${n} from Slurm (--gres=gpu:${n})` : 'none (CPU only)';
}

/** Slurm's pending reasons that are common enough to explain. */
const SLURM_REASON_HINTS: Record<string, string> = {
  Resources: 'the nodes it needs are busy',
  Priority: 'jobs of higher priority go first',
  Dependency: 'waits for a job it depends on',
  DependencyNeverSatisfied: 'a job it depends on failed; it will never start',
  BeginTime: 'its start time has not come yet',
  JobHeldUser: 'held by its user',
  JobHeldAdmin: 'held by an administrator',
  PartitionDown: 'its partition is down',
  PartitionNodeLimit: 'it asks for more nodes than its partition allows',
  PartitionTimeLimit: 'its time limit is over its partition\'s',
  ReqNodeNotAvail: 'a node it needs is not available',
  QOSMaxJobsPerUserLimit: 'its user runs the most jobs the QOS allows',
  AssocGrpGRES: 'its account uses all the GPUs it may',
  submitted: 'handed to Slurm; it has not said why it waits yet',
};

/** What the "why it waits" cells show: a tag, the main text, and a quieter detail. */
export interface WaitParts {
  /** The tag's words ("Slurm", "submit retry", "gpu"); null for none. */
  tag: string | null;
  /** 'slurm': Slurm's reason; 'warn': Slurm cannot be reached; 'plain': the local scheduler's. */
  tone: 'slurm' | 'warn' | 'plain';
  text: string;
  detail: string | null;
}

/** Slurm's pending reason of a `waiting_for` ("slurm: Resources" → "Resources"); null when not Slurm's. */
export function slurmReason(waitingFor: string | null | undefined): string | null {
  if (!waitingFor) return null;
  if (waitingFor === 'slurm') return '';
  return waitingFor.startsWith('slurm: ') ? waitingFor.slice('slurm: '.length).trim() : null;
}

/**
 * A queued job's wait in parts (null when it is not queued). Slurm's reason is the text (the
 * server's reason "waiting in Slurm: Resources" says the same, so it is left out), with a hint
 * for the common reasons; "submit retry" is a warning with the server's words on the retry.
 */
export function waitParts(job: Pick<Job, 'state' | 'waiting_for' | 'reason'>): WaitParts | null {
  if (job.state !== 'queued') return null;
  const waiting = job.waiting_for as string | null;
  const reason = job.reason?.trim() || null;
  const slurm = slurmReason(waiting);
  if (slurm !== null) {
    const text = slurm || 'waiting in Slurm';
    // The server's reason ("waiting in Slurm: Resources") repeats Slurm's; a hint says more.
    const same = reason === null || (slurm !== '' && reason.endsWith(slurm));
    return { tag: 'Slurm', tone: 'slurm', text, detail: same ? (SLURM_REASON_HINTS[slurm] ?? null) : reason };
  }
  if (waiting === 'submit retry') {
    return { tag: 'submit retry', tone: 'warn', text: reason ?? 'Slurm cannot be reached; the server tries again', detail: null };
  }
  return { tag: waiting || null, tone: 'plain', text: waitText(job) ?? 'next in line', detail: null };
}

/** A queued job's wait as one line (the table's tooltip, texts): "Slurm: Resources (the nodes…)". */
export function waitLine(job: Pick<Job, 'state' | 'waiting_for' | 'reason'>): string | null {
  const parts = waitParts(job);
  if (!parts) return null;
  if (parts.tone === 'plain') return parts.text;
  const head = parts.tone === 'slurm' ? `Slurm: ${parts.text}` : parts.text;
  return parts.detail ? `${head} (${parts.detail})` : head;
}

/** The order of node states in a partition's counts; states not listed follow by name. */
const NODE_STATE_ORDER = ['idle', 'mixed', 'allocated', 'completing', 'planned', 'reserved', 'draining', 'drained', 'down', 'fail'];

/** Node states that mean the node cannot take jobs. */
const BAD_NODE_STATES = ['down', 'drained', 'draining', 'drain', 'fail', 'failing', 'maint', 'unknown', 'not_responding'];

export interface NodeCount {
  state: string;
  count: number;
  /** 'free': takes jobs now; 'busy': in use; 'bad': cannot take jobs. */
  tone: 'free' | 'busy' | 'bad';
}

/** A partition's node counts, non-zero ones, in a stable order (idle first). */
export function nodeCounts(partition: Pick<SlurmPartition, 'nodes'>): NodeCount[] {
  const rank = (s: string) => {
    const i = NODE_STATE_ORDER.indexOf(s);
    return i < 0 ? NODE_STATE_ORDER.length : i;
  };
  return Object.entries(partition.nodes ?? {})
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([state, count]) => ({
      state,
      count,
      tone: state === 'idle' ? 'free' : BAD_NODE_STATES.includes(state.toLowerCase()) ? 'bad' : 'busy',
    }));
}

/** "1 idle · 2 mixed", or "no nodes". */
export function nodeCountsText(partition: Pick<SlurmPartition, 'nodes'>): string {
  const counts = nodeCounts(partition);
  return counts.length ? counts.map((c) => `${c.count} ${c.state}`).join(' · ') : 'no nodes';
}

/** Whether a partition takes jobs ("up"); "down", "drain" and "inact" do not. */
export function partitionUp(partition: Pick<SlurmPartition, 'available'>): boolean {
  return (partition.available ?? '').toLowerCase() === 'up';
}
