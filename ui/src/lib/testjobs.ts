import type { Job, SlurmCluster, SlurmPartition } from './api/types';

/** A job with every field set, for tests. */
export function makeJob(overrides: Partial<Job> = {}): Job {
  const id = overrides.id ?? 1;
  return {
    id,
    name: `job-${id}`,
    user: 'admin',
    state: 'queued',
    waiting_for: null,
    reason: null,
    command: ['python', 'train.py'],
    shell: null,
    project: null,
    snapshot: null,
    gpus_requested: 1,
    gpu_ids_requested: null,
    gpus: [],
    group: null,
    priority: 0,
    after: [],
    env: {},
    time_limit_s: null,
    exit_code: null,
    signal: null,
    submitted_at: 1_700_000_000 + id,
    started_at: null,
    ended_at: null,
    output_bytes: 0,
    restarted_from: null,
    gpu_check: 'nvml',
    sync: null,
    git: null,
    executor: 'local',
    slurm_job_id: null,
    nodes: null,
    ...overrides,
  };
}

/** A job of the Slurm executor: submitted (Slurm id "1<id>"), asking for one GPU. */
export function makeSlurmJob(overrides: Partial<Job> = {}): Job {
  const id = overrides.id ?? 1;
  return makeJob({ executor: 'slurm', slurm_job_id: `1${id}`, gpu_check: null, ...overrides });
}

/** A partition as sinfo reports it: "debug", up, one idle node. */
export function makePartition(overrides: Partial<SlurmPartition> = {}): SlurmPartition {
  return { name: 'debug', default: false, available: 'up', nodes: { idle: 1 }, total_nodes: 1, gres: null, ...overrides };
}

/** A cluster of two partitions (the default "debug" and a "gpu" one), read at 1_700_000_000. */
export function makeCluster(overrides: Partial<SlurmCluster> = {}): SlurmCluster {
  return {
    partitions: [
      makePartition({ name: 'debug', default: true, nodes: { idle: 1, mixed: 2 }, total_nodes: 3, gres: 'gpu:2' }),
      makePartition({ name: 'long', available: 'down', nodes: { down: 1, drained: 1 }, total_nodes: 2 }),
    ],
    error: null,
    updated_at: 1_700_000_000,
    ...overrides,
  };
}
