// Pure helpers of the jobs pages: filtering and ordering jobs, their timings and exit text, and
// turning what a user typed into a submit request (argv splitting, env lines).
import type { Job, JobState, SubmitRequest } from './api/types';

export interface JobFilter {
  /** Shown states; empty: every state. */
  states: readonly JobState[];
  /** Exactly this user; empty: everyone. */
  user: string;
  /** A substring of the name or the command (case-insensitive); empty: anything. */
  q: string;
}

export const EMPTY_FILTER: JobFilter = { states: [], user: '', q: '' };

/** The command as one line: the shell text, or the argv with arguments quoted where needed. */
export function commandText(job: Pick<Job, 'command' | 'shell'>): string {
  if (job.shell !== null && job.shell !== undefined) return job.shell;
  return (job.command ?? []).map(quoteArg).join(' ');
}

/** One argument as a POSIX shell would need it written ('it''s' style quoting when needed). */
export function quoteArg(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function matchesFilter(job: Job, filter: JobFilter): boolean {
  if (filter.states.length > 0 && !filter.states.includes(job.state)) return false;
  const user = filter.user.trim();
  if (user !== '' && job.user !== user) return false;
  const q = filter.q.trim().toLowerCase();
  if (q === '') return true;
  return (job.name ?? '').toLowerCase().includes(q) || commandText(job).toLowerCase().includes(q);
}

/** The order of the queue: priority (higher first), then submit time, then id. */
export function queueOrder(a: Job, b: Job): number {
  return b.priority - a.priority || a.submitted_at - b.submitted_at || a.id - b.id;
}

/** Seconds from submit to start (to now while queued, to the end if it never started). */
export function waitedSeconds(job: Job, now: number): number {
  const until = job.started_at ?? job.ended_at ?? now;
  return Math.max(0, until - job.submitted_at);
}

/** Seconds it ran (to now while running); null when it never started. */
export function ranSeconds(job: Job, now: number): number | null {
  if (job.started_at === null) return null;
  return Math.max(0, (job.ended_at ?? now) - job.started_at);
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
};

/** "exit 0", "exit 3", "signal 15 (SIGTERM)", or "–" while nothing is known. */
export function exitText(job: Pick<Job, 'exit_code' | 'signal'>): string {
  if (job.signal !== null && job.signal !== undefined) {
    const name = SIGNALS[job.signal];
    return name ? `signal ${job.signal} (${name})` : `signal ${job.signal}`;
  }
  if (job.exit_code !== null && job.exit_code !== undefined) return `exit ${job.exit_code}`;
  return '–';
}

/** What a waiting job waits for, in words: the server's reason, or its `waiting_for`. */
export function waitText(job: Pick<Job, 'state' | 'waiting_for' | 'reason'>): string | null {
  if (job.state !== 'queued') return null;
  if (job.reason) return job.reason;
  if (job.waiting_for === 'gpu') return 'waits for a free GPU';
  if (job.waiting_for === 'dependency') return 'waits for a job it depends on';
  if (job.waiting_for === 'group limit') return 'waits: its group runs its limit';
  if (job.waiting_for === 'submit retry') return 'Slurm cannot be reached; the server tries again';
  if (job.waiting_for === 'slurm') return 'waiting in Slurm';
  if (job.waiting_for?.startsWith('slurm: ')) return `waiting in Slurm: ${job.waiting_for.slice('slurm: '.length)}`;
  return 'next in line';
}

/**
 * Splits a command line into argv like a POSIX shell without expansions: blanks separate
 * arguments, '…' keeps everything, "…" keeps all but \" \\ \$ \`, a backslash outside quotes
 * escapes the next character. Throws on an unclosed quote.
 */
export function splitArgv(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) out.push(current);
      current = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error('The command has an unclosed \' quote.');
      current += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('The command has an unclosed " quote.');
        const d = text[i];
        if (d === '"') break;
        if (d === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) {
          current += text[i + 1];
          i += 2;
        } else {
          current += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[i + 1];
      inWord = true;
      i += 2;
    } else {
      current += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(current);
  return out;
}

/** "K=V" lines (blank lines and lines starting with # are skipped) → {K: V}. Throws naming a bad line. */
export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split('\n').forEach((raw, n) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? '' : line.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`Environment line ${n + 1} is not NAME=value: ${line}`);
    env[name] = line.slice(eq + 1);
  });
  return env;
}

/** What the submit dialog holds. */
export interface SubmitForm {
  mode: 'argv' | 'shell';
  command: string;
  project: string;
  gpuMode: 'count' | 'ids';
  gpuCount: number;
  gpuIds: readonly number[];
  name: string;
  group: string;
  priority: number;
  env: string;
}

/** The POST /jobs body for a form; throws with a message for the user when the form cannot be sent. */
export function buildSubmitRequest(form: SubmitForm): SubmitRequest {
  const request: SubmitRequest = {};
  if (form.mode === 'shell') {
    if (form.command.trim() === '') throw new Error('The command is empty.');
    request.shell = form.command;
  } else {
    const argv = splitArgv(form.command);
    if (argv.length === 0) throw new Error('The command is empty.');
    request.command = argv;
  }
  if (form.project.trim()) request.project = form.project.trim();
  if (form.gpuMode === 'ids') {
    if (form.gpuIds.length === 0) throw new Error('Pick at least one GPU, or ask for a count (0 for a CPU job).');
    request.gpu_ids = [...form.gpuIds].sort((a, b) => a - b);
  } else {
    if (!Number.isInteger(form.gpuCount) || form.gpuCount < 0) throw new Error('The GPU count must be a whole number, 0 or more.');
    request.gpus = form.gpuCount;
  }
  if (form.name.trim()) request.name = form.name.trim();
  if (form.group.trim()) request.group = form.group.trim();
  if (!Number.isInteger(form.priority)) throw new Error('The priority must be a whole number.');
  if (form.priority !== 0) request.priority = form.priority;
  const env = parseEnvLines(form.env);
  if (Object.keys(env).length > 0) request.env = env;
  return request;
}
