import type { RunSummary } from './api/types';

/** A run summary with every field set, for tests. */
export function makeRun(overrides: Partial<RunSummary> = {}): RunSummary {
  const id = overrides.id ?? 'r1';
  return {
    id,
    name: overrides.name ?? `run-${id}`,
    path: `g/${overrides.name ?? id}`,
    group: 'g',
    log_file: 'ailab.log',
    state: 'running',
    phase: 'train',
    epoch: 1,
    epochs: 10,
    progress: 0.1,
    eta: 600,
    score: 0.5,
    started_at: 1_700_000_000,
    updated_at: 1_700_000_100,
    aborted_early: false,
    metrics: ['loss'],
    lines: 1,
    errors: { bad_lines: 0 },
    ...overrides,
  };
}
