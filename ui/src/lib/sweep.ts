// Parameter sweeps of the submit dialog, made exactly as `ailab submit --sweep NAME=V1,V2` makes
// them (src/client/job_request.cpp): the same checks, the same order and the same job names, so a
// sweep typed in the GUI gives the jobs the command line would have given.
import type { SubmitRequest } from './api/types';

/** `NAME=V1,V2,…`: one job per value; several sweeps give one job per combination. */
export interface Sweep {
  name: string;
  values: string[];
}

/** The most jobs one sweep may make: what POST /jobs/batch takes. */
export const MAX_SWEEP_JOBS = 1000;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const placeholder = (sweep: Sweep) => `{${sweep.name}}`;

/**
 * "lr=0.1,0.01" → {name: "lr", values: ["0.1", "0.01"]}. Values are split at commas only, so a
 * value may hold '=' and spaces. Throws on no '=', a bad name, no value, an empty value, a value
 * given twice.
 */
export function parseSweep(text: string): Sweep {
  const eq = text.indexOf('=');
  if (eq < 0) throw new Error(`bad sweep "${text}": it must be NAME=V1,V2,…`);
  const name = text.slice(0, eq);
  if (!NAME.test(name)) throw new Error(`bad sweep name "${name}": letters, digits and '_', not starting with a digit`);
  const values = text.slice(eq + 1);
  if (values === '') throw new Error(`sweep ${name} has no values: ${name}=A,B`);
  const seen = new Set<string>();
  for (const value of values.split(',')) {
    if (value === '') throw new Error(`sweep ${name} has an empty value in "${values}"`);
    if (seen.has(value)) throw new Error(`sweep ${name} has the value "${value}" twice`);
    seen.add(value);
  }
  return { name, values: [...seen] };
}

/**
 * Checks what does not depend on the request: no name twice, not more than MAX_SWEEP_JOBS
 * combinations (counted as it goes, so a huge product never overflows).
 */
function checkSweeps(sweeps: readonly Sweep[]): void {
  const names = new Set<string>();
  let jobs = 1;
  for (const sweep of sweeps) {
    if (names.has(sweep.name)) throw new Error(`sweep ${sweep.name} is given twice: give its values once, ${sweep.name}=A,B`);
    names.add(sweep.name);
    jobs *= sweep.values.length;
    if (jobs > MAX_SWEEP_JOBS) throw new Error(`the sweeps make more than ${MAX_SWEEP_JOBS} jobs (the most one submit takes)`);
  }
}

/**
 * The dialog's sweep text, one `NAME=V1,V2` a line; blank lines are skipped and each line's ends
 * trimmed (invisible trailing blanks would otherwise end up in the last value). [] for no sweep.
 */
export function parseSweeps(text: string): Sweep[] {
  const sweeps = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map(parseSweep);
  checkSweeps(sweeps);
  return sweeps;
}

/** How many jobs the sweeps make (1 for none). */
export function sweepJobCount(sweeps: readonly Sweep[]): number {
  return sweeps.reduce((n, s) => n * s.values.length, 1);
}

/** The dialog's live line: "4 jobs: lr × seed", or '' without a sweep. */
export function sweepSummary(sweeps: readonly Sweep[]): string {
  if (sweeps.length === 0) return '';
  const n = sweepJobCount(sweeps);
  return `${n} ${n === 1 ? 'job' : 'jobs'}: ${sweeps.map((s) => s.name).join(' × ')}`;
}

// Every {NAME} of the sweeps replaced by the value `choice` picks for it, one sweep after the
// other, each scanning on after the value it put in (as the CLI's find/replace loop does).
function substitute(text: string, sweeps: readonly Sweep[], choice: readonly number[]): string {
  sweeps.forEach((sweep, i) => {
    text = text.split(placeholder(sweep)).join(sweep.values[choice[i]]);
  });
  return text;
}

/** The texts a placeholder may be in: the command (argv items or shell text), the env values, the name. */
function texts(request: SubmitRequest): string[] {
  const shell = request.shell !== undefined ? [request.shell] : [];
  return [...(request.command ?? []), ...shell, ...Object.values(request.env ?? {}), request.name ?? ''];
}

/**
 * The jobs of a sweep, in nested-loop order (the first sweep varies slowest): each with {NAME}
 * replaced in the argv items or the shell text, the env values and the name. A job's name is the
 * request's name (its placeholders replaced) or the server's default (the program's file name,
 * "shell" for shell text), followed by the combination (" lr=0.1 bs=32") unless the given name
 * already shows every value. Without sweeps: the request itself. Throws on a sweep named twice,
 * one whose {NAME} is nowhere (every job would be the same) and more than MAX_SWEEP_JOBS jobs.
 */
export function expandSweeps(request: SubmitRequest, sweeps: readonly Sweep[]): SubmitRequest[] {
  if (sweeps.length === 0) return [request];
  checkSweeps(sweeps);
  const where = texts(request);
  for (const sweep of sweeps) {
    const key = placeholder(sweep);
    if (!where.some((t) => t.includes(key))) {
      throw new Error(
        `sweep ${sweep.name}: ${key} is in neither the command nor an env value nor the name, so every job would be the same (write ${key} where the value goes)`,
      );
    }
  }
  const name = request.name ?? '';
  const shown = name !== '' && sweeps.every((s) => name.includes(placeholder(s)));
  const program = request.command?.[0];
  const fallback = program !== undefined ? program.slice(program.lastIndexOf('/') + 1) : 'shell';

  const jobs: SubmitRequest[] = [];
  const choice = sweeps.map(() => 0);
  for (;;) {
    const job: SubmitRequest = { ...request };
    if (request.command) job.command = request.command.map((arg) => substitute(arg, sweeps, choice));
    if (request.shell !== undefined) job.shell = substitute(request.shell, sweeps, choice);
    if (request.env) job.env = Object.fromEntries(Object.entries(request.env).map(([k, v]) => [k, substitute(v, sweeps, choice)]));
    const base = name !== '' ? substitute(name, sweeps, choice) : fallback;
    job.name = shown ? base : base + sweeps.map((s, i) => ` ${s.name}=${s.values[choice[i]]}`).join('');
    jobs.push(job);
    // The next combination: the last sweep varies fastest.
    let i = sweeps.length;
    while (i > 0 && ++choice[i - 1] === sweeps[i - 1].values.length) choice[--i] = 0;
    if (i === 0) break;
  }
  return jobs;
}
