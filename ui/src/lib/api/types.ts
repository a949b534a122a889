// Shapes of the AI Lab API v1 (docs/API.md). Unknown fields are null.

export type RunState =
  | 'running'
  | 'done'
  | 'failed'
  | 'paused'
  | 'waiting'
  | 'idle'
  | 'dead'
  | 'empty'
  | 'unreadable';

/**
 * Every run state, in the order the table sorts them. `idle`: a format without a goal field
 * (TensorBoard, Lightning, Hugging Face) whose files stopped growing for `idle_minutes`; it may
 * have finished or died, the server cannot tell.
 */
export const RUN_STATES: RunState[] = [
  'running',
  'waiting',
  'paused',
  'idle',
  'done',
  'failed',
  'dead',
  'empty',
  'unreadable',
];

/** What wrote a run's files: AI Lab's own log, TensorBoard event files, Lightning's CSVLogger, Hugging Face's trainer_state.json. */
export type RunFormat = 'ailab' | 'tensorboard' | 'lightning' | 'huggingface';

export const RUN_FORMATS: RunFormat[] = ['ailab', 'tensorboard', 'lightning', 'huggingface'];

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
  /** The AI Lab job that wrote this run (its log's `job_id`, from `AILAB_JOB_ID`); null otherwise. */
  job_id?: number | null;
  /** The run's format; absent on servers before it was reported (read it with `runFormat`: 'ailab'). */
  format?: RunFormat;
}

/** A param value: config keys flattened to dotted names ("optimizer.lr"); lists stay lists. */
export type ParamValue = string | number | boolean | null | ParamValue[];
/** One run's params, flattened: {"optimizer.lr": 0.001, "model": "resnet50"}. */
export type RunParams = Record<string, ParamValue>;

/** A metric's last, lowest and highest value in one run (null: no finite value yet). */
export interface MetricValues {
  last: number | null;
  min: number | null;
  max: number | null;
}

/** Notes, tags and a star on a run: kept by the server (its state folder), shared by its users. */
export interface RunAnnotations {
  note: string;
  tags: string[];
  starred: boolean;
  /** Unix seconds of the last change; null when never annotated. */
  updated_at: number | null;
  updated_by: string | null;
}

/** A change to a run's annotations (PATCH /runs/{id}/annotations): only the fields given change. */
export interface AnnotationsPatch {
  note?: string;
  tags?: string[];
  starred?: boolean;
}

export interface RunDetail extends RunSummary {
  config: unknown;
  config_text?: string | null;
  files: string[] | null;
  /** config.json and hparams.yaml flattened (config.json wins on a clash); {} when none. */
  params: RunParams;
  annotations: RunAnnotations;
}

export type XAxis = 'step' | 'time' | 'epoch';

export interface Series {
  x: number[];
  y: (number | null)[];
}

/** One image of a run's TensorBoard event files (GET /runs/{id}/images), in file order. */
export interface RunImage {
  /** Its index for GET /runs/{id}/images/{index}. */
  index: number;
  tag: string;
  step: number;
  wall_time: number | null;
  width: number | null;
  height: number | null;
  /** Its MIME type ("image/png"). */
  type: string;
  bytes: number;
}

export interface RunImagesResponse {
  images: RunImage[];
  /** Whether the server kept only part of the images. */
  truncated: boolean;
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

// ---- Jobs (docs/API.md "Jobs") ----

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export const JOB_STATES: JobState[] = ['queued', 'running', 'done', 'failed', 'cancelled'];

/** The states of a job that has ended (its history). */
export const ENDED_JOB_STATES: JobState[] = ['done', 'failed', 'cancelled'];

/**
 * What a queued job waits for; null once it is not queued. With the Slurm executor: "submit
 * retry" (Slurm's controller could not be reached; the server tries again with back-off), or
 * "slurm: <Slurm's pending reason>" ("slurm: Resources", "slurm: Priority"); a bare "slurm"
 * when Slurm gave no reason.
 */
export type WaitingFor = 'gpu' | 'dependency' | 'group limit' | 'submit retry' | 'slurm' | `slurm: ${string}`;

/** Where a server runs its jobs: on its own GPUs, or handed to a Slurm cluster. */
export type JobExecutor = 'local' | 'slurm';

export interface JobGit {
  commit: string | null;
  branch: string | null;
  dirty: boolean | null;
  /** The uncommitted diff's length. */
  diff_bytes?: number;
  /** The uncommitted diff: only in GET /jobs/{id} (lists and events leave it out). */
  diff?: string | null;
}

export interface JobSync {
  files: number;
  uploaded_files: number;
  uploaded_bytes: number;
}

export interface Job {
  id: number;
  name: string | null;
  user: string | null;
  state: JobState;
  waiting_for: WaitingFor | null;
  /** Why it failed or was cancelled, or in words what it waits for. */
  reason: string | null;
  command: string[] | null;
  shell: string | null;
  project: string | null;
  snapshot: string | null;
  gpus_requested: number | null;
  gpu_ids_requested: number[] | null;
  /** The GPUs it holds (running) or held (ended). */
  gpus: number[];
  group: string | null;
  priority: number;
  after: number[];
  env: Record<string, string> | null;
  time_limit_s: number | null;
  exit_code: number | null;
  signal: number | null;
  submitted_at: number;
  started_at: number | null;
  ended_at: number | null;
  output_bytes: number;
  restarted_from: number | null;
  gpu_check: 'nvml' | 'bookkeeping' | null;
  sync: JobSync | null;
  git: JobGit | null;
  /** Where it runs; absent on servers before the Slurm executor (read it with `jobExecutor`: 'local'). */
  executor?: JobExecutor;
  /** Slurm's job id once submitted ("123"); null for local jobs and before the submit. */
  slurm_job_id?: string | null;
  /** The Slurm node list it ran or runs on ("node[01-02]"); null when not known. */
  nodes?: string | null;
}

export interface ForeignProcess {
  pid: number;
  user: string | null;
  command: string | null;
  memory_bytes: number | null;
}

/** One GPU of the config's `gpus` as the scheduler sees it. */
export interface GpuLane {
  id: number;
  /** The job running on it. */
  job: number | null;
  /** The queued job it is kept free for (a job waiting for several GPUs). */
  held_for: number | null;
  foreign: ForeignProcess[];
  memory_used_bytes: number | null;
  free: boolean;
}

/** One Slurm partition as sinfo reports it. */
export interface SlurmPartition {
  name: string;
  /** The partition jobs go to when none is named. */
  default: boolean;
  /** Slurm's availability: "up", "down", "drain", "inact". */
  available: string;
  /** Nodes by Slurm state: {"idle": 1, "mixed": 2}. */
  nodes: Record<string, number>;
  total_nodes: number;
  /** Its generic resources ("gpu:2"); null when none. */
  gres: string | null;
}

/** The Slurm cluster of a server with the Slurm executor (sinfo, refreshed every 10 s or more). */
export interface SlurmCluster {
  partitions: SlurmPartition[];
  /** Why the last sinfo failed; null when it worked. */
  error: string | null;
  /** Unix seconds of the last sinfo; null before the first one. */
  updated_at: number | null;
}

export interface JobListResponse {
  jobs: Job[];
  next_before: number | null;
  counts: Partial<Record<JobState, number>>;
  /** The local GPU lanes; empty with the Slurm executor. */
  gpus: GpuLane[];
  /** Absent on servers before the Slurm executor: 'local'. */
  executor?: JobExecutor;
  /** Slurm's partitions with the Slurm executor; null (or absent) for local. */
  cluster?: SlurmCluster | null;
}

/** POST /jobs: exactly one of `command` and `shell`. */
export interface SubmitRequest {
  command?: string[];
  shell?: string;
  name?: string;
  project?: string;
  snapshot?: string;
  gpus?: number;
  gpu_ids?: number[];
  group?: string;
  priority?: number;
  after?: number[];
  env?: Record<string, string>;
  time_limit_s?: number;
}

/** The last text frame of a job's output stream, sent once every byte was sent and the job ended. */
export interface OutputEnd {
  state: JobState;
  exit_code: number | null;
  signal: number | null;
  output_bytes: number;
}

/** Messages the server pushes on the WebSocket. */
export type ServerEvent =
  | { type: 'runs.added'; run: RunSummary }
  | { type: 'runs.removed'; id: string }
  | { type: 'runs.updated'; id: string; changes: Partial<RunSummary> }
  | { type: 'runs.points'; id: string; points: RunPoint[] }
  | ({ type: 'system.sample' } & SystemSample)
  | { type: 'jobs.added'; job: Job }
  | { type: 'jobs.updated'; job: Job }
  | { type: 'jobs.gpus'; gpus: GpuLane[] }
  | { type: 'test.event'; payload: unknown }
  | { type: string; [key: string]: unknown };
