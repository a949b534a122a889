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

/**
 * A TensorBoard run: metrics are its scalar tags ("loss/train"), no goal so no epoch, progress or
 * ETA; running while its event file grows.
 */
export function makeTensorboardRun(overrides: Partial<RunSummary> = {}): RunSummary {
  return makeRun({
    id: 'tb1',
    name: 'tb-run',
    format: 'tensorboard',
    log_file: 'events.out.tfevents.1733212800.host.1234.0',
    phase: null,
    epoch: null,
    epochs: null,
    progress: null,
    eta: null,
    score: null,
    metrics: ['lr', 'loss/train', 'loss/val', 'eval/accuracy'],
    ...overrides,
  });
}

/** An idle run: a Lightning CSVLogger run whose metrics.csv stopped growing (finished or dead, nobody can tell). */
export function makeIdleRun(overrides: Partial<RunSummary> = {}): RunSummary {
  return makeRun({
    id: 'pl1',
    name: 'lightning-run',
    format: 'lightning',
    log_file: 'lightning_logs/version_0/metrics.csv',
    state: 'idle',
    phase: null,
    epoch: 4,
    epochs: null,
    progress: null,
    eta: 120,
    metrics: ['train_loss', 'val_loss'],
    ...overrides,
  });
}
