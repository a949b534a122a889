import type { Job } from './api/types';

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
    ...overrides,
  };
}
