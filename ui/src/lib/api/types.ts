// Shapes of the AI Lab API v1 (docs/API.md). Unknown fields are null.

export type RunState =
  | 'running'
  | 'done'
  | 'failed'
  | 'paused'
  | 'waiting'
  | 'dead'
  | 'empty'
  | 'unreadable';

export const RUN_STATES: RunState[] = [
  'running',
  'waiting',
  'paused',
  'done',
  'failed',
  'dead',
  'empty',
  'unreadable',
];

export interface RunSummary {
  id: string;
  name: string;
  path: string;
  group: string | null;
  log_file: string | null;
  state: RunState;
  phase: string | null;
  epoch: number | null;
  epochs: number | null;
  progress: number | null;
  eta: number | null;
  score: number | null;
  started_at: number | null;
  updated_at: number | null;
  aborted_early: boolean | null;
  metrics: string[] | null;
  lines: number | null;
  errors: { bad_lines: number } | null;
}

export interface RunDetail extends RunSummary {
  config: unknown;
  config_text?: string | null;
  files: string[] | null;
}

export type XAxis = 'step' | 'time' | 'epoch';

export interface Series {
  x: number[];
  y: (number | null)[];
}

export interface MetricsResponse {
  x: XAxis;
  series: Record<string, Series>;
}

export interface RunPoint {
  step: number | null;
  time: number | null;
  epoch: number | null;
  values: Record<string, number | null>;
}

export interface LoginResponse {
  token: string;
  expires_at: number;
  user: string;
}

export interface Info {
  version: string;
  hostname: string;
  user: string;
  cluster: boolean;
  results: string;
  workspace: string;
}

export interface GpuProcess {
  pid: number;
  user: string | null;
  command: string | null;
  memory_bytes: number | null;
}

export interface Gpu {
  id: number;
  name: string | null;
  uuid: string | null;
  utilization: number | null;
  memory_used_bytes: number | null;
  memory_total_bytes: number | null;
  temperature_c: number | null;
  power_w: number | null;
  power_limit_w: number | null;
  error: string | null;
  processes: GpuProcess[] | null;
}

export interface SystemSample {
  cluster: boolean;
  time?: number;
  cpu?: { percent: number | null; cores: number[] | null; load: number[] | null };
  memory?: {
    total_bytes: number;
    used_bytes: number;
    available_bytes: number;
    percent: number | null;
    swap_total_bytes: number;
    swap_used_bytes: number;
  };
  disks?: { path: string; role: string; total_bytes: number; free_bytes: number }[];
  gpus?: Gpu[];
  gpu_status: string;
}

export interface HistorySample {
  time: number;
  cpu_percent: number | null;
  memory_percent: number | null;
  gpus: { id: number; utilization: number | null; memory_used_bytes: number | null }[] | null;
}

export interface HistoryResponse {
  range: string;
  interval_s: number;
  samples: HistorySample[];
}

export interface CleanupResponse {
  moved: { id: string; path: string; trash_path: string }[];
  errors: { id: string; error: string }[];
}

export interface TrashItem {
  trash_path: string;
  path: string;
  moved_at: number | null;
}

export interface RestoreResponse {
  restored: unknown[];
  errors: { trash_path: string; error: string }[];
}

/** Messages the server pushes on the WebSocket. */
export type ServerEvent =
  | { type: 'runs.added'; run: RunSummary }
  | { type: 'runs.removed'; id: string }
  | { type: 'runs.updated'; id: string; changes: Partial<RunSummary> }
  | { type: 'runs.points'; id: string; points: RunPoint[] }
  | ({ type: 'system.sample' } & SystemSample)
  | { type: 'test.event'; payload: unknown }
  | { type: string; [key: string]: unknown };
