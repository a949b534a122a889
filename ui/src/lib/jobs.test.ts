import { describe, expect, it } from 'vitest';
import {
  buildSubmitRequest,
  commandText,
  exitText,
  matchesFilter,
  parseEnvLines,
  queueOrder,
  ranSeconds,
  splitArgv,
  waitText,
  waitedSeconds,
  type SubmitForm,
} from './jobs';
import { makeJob } from './testjobs';

const form = (overrides: Partial<SubmitForm> = {}): SubmitForm => ({
  mode: 'argv',
  command: 'python train.py',
  project: '',
  gpuMode: 'count',
  gpuCount: 1,
  gpuIds: [],
  name: '',
  group: '',
  priority: 0,
  env: '',
  ...overrides,
});

describe('jobs helpers', () => {
  it('splits argv text like a shell without expansions', () => {
    // Bad input: quotes inside words, escaped quotes, an unclosed quote.
    expect(splitArgv(`python  train.py --name 'my run' --note "say \\"hi\\"" a\\ b ''`)).toEqual([
      'python',
      'train.py',
      '--name',
      'my run',
      '--note',
      'say "hi"',
      'a b',
      '',
    ]);
    expect(splitArgv('   ')).toEqual([]);
    expect(() => splitArgv(`echo 'open`)).toThrow(/unclosed ' quote/);
    expect(() => splitArgv('echo "open')).toThrow(/unclosed " quote/);
  });

  it('quotes arguments back into one readable line', () => {
    expect(commandText({ command: ['python', 'a b.py', "it's", ''], shell: null })).toBe(`python 'a b.py' 'it'\\''s' ''`);
    expect(commandText({ command: null, shell: 'for i in 1 2; do echo $i; done' })).toBe('for i in 1 2; do echo $i; done');
  });

  it('parses env lines and names a bad one', () => {
    // Bad input: a line without '=', a name starting with a digit.
    expect(parseEnvLines('A=1\n\n# comment\nB = two=2\nEMPTY=')).toEqual({ A: '1', B: ' two=2', EMPTY: '' });
    expect(() => parseEnvLines('A=1\nnot a pair')).toThrow(/line 2/);
    expect(() => parseEnvLines('1X=3')).toThrow(/line 1/);
  });

  it('builds the POST /jobs body from the dialog and refuses what cannot be sent', () => {
    // Bad input: an empty command, no GPU picked in id mode, a negative count, a fractional priority.
    expect(buildSubmitRequest(form())).toEqual({ command: ['python', 'train.py'], gpus: 1 });
    expect(
      buildSubmitRequest(
        form({ mode: 'shell', command: 'echo hi | tee x', project: ' demo ', gpuMode: 'ids', gpuIds: [2, 0], name: 'n', group: 'g', priority: -3, env: 'K=V' }),
      ),
    ).toEqual({ shell: 'echo hi | tee x', project: 'demo', gpu_ids: [0, 2], name: 'n', group: 'g', priority: -3, env: { K: 'V' } });
    expect(buildSubmitRequest(form({ gpuCount: 0 }))).toEqual({ command: ['python', 'train.py'], gpus: 0 });
    expect(() => buildSubmitRequest(form({ command: '  ' }))).toThrow(/empty/);
    expect(() => buildSubmitRequest(form({ mode: 'shell', command: '\n' }))).toThrow(/empty/);
    expect(() => buildSubmitRequest(form({ gpuMode: 'ids', gpuIds: [] }))).toThrow(/GPU/);
    expect(() => buildSubmitRequest(form({ gpuCount: -1 }))).toThrow(/GPU count/);
    expect(() => buildSubmitRequest(form({ priority: 1.5 }))).toThrow(/priority/);
  });

  it('filters by state, user and name or command', () => {
    const job = makeJob({ id: 3, name: 'ResNet sweep', user: 'alice', state: 'running', command: ['python', 'sweep.py'] });
    expect(matchesFilter(job, { states: [], user: '', q: '' })).toBe(true);
    expect(matchesFilter(job, { states: ['queued'], user: '', q: '' })).toBe(false);
    expect(matchesFilter(job, { states: ['running'], user: 'bob', q: '' })).toBe(false);
    expect(matchesFilter(job, { states: [], user: 'alice', q: 'resnet' })).toBe(true);
    expect(matchesFilter(job, { states: [], user: '', q: 'sweep.py' })).toBe(true);
    expect(matchesFilter(job, { states: [], user: '', q: 'bert' })).toBe(false);
  });

  it('orders the queue by priority, then submit time; computes waited and ran', () => {
    const a = makeJob({ id: 1, priority: 0, submitted_at: 10 });
    const b = makeJob({ id: 2, priority: 5, submitted_at: 20 });
    const c = makeJob({ id: 3, priority: 0, submitted_at: 5 });
    expect([a, b, c].sort(queueOrder).map((j) => j.id)).toEqual([2, 3, 1]);
    expect(waitedSeconds(makeJob({ submitted_at: 100, started_at: null }), 130)).toBe(30);
    expect(waitedSeconds(makeJob({ submitted_at: 100, started_at: 112 }), 130)).toBe(12);
    expect(waitedSeconds(makeJob({ submitted_at: 100, started_at: null, ended_at: 105, state: 'cancelled' }), 130)).toBe(5);
    expect(ranSeconds(makeJob({ started_at: null }), 130)).toBeNull();
    expect(ranSeconds(makeJob({ started_at: 110, ended_at: null }), 130)).toBe(20);
    expect(ranSeconds(makeJob({ started_at: 110, ended_at: 115 }), 130)).toBe(5);
  });

  it('says how a job ended and why a job waits', () => {
    expect(exitText({ exit_code: 0, signal: null })).toBe('exit 0');
    expect(exitText({ exit_code: null, signal: 15 })).toBe('signal 15 (SIGTERM)');
    expect(exitText({ exit_code: null, signal: null })).toBe('–');
    expect(waitText(makeJob({ state: 'queued', waiting_for: 'gpu', reason: 'waits for 2 GPUs; free: none' }))).toBe('waits for 2 GPUs; free: none');
    expect(waitText(makeJob({ state: 'queued', waiting_for: 'group limit', reason: null }))).toMatch(/group/);
    expect(waitText(makeJob({ state: 'running', reason: 'x' }))).toBeNull();
    expect(waitText(makeJob({ state: 'queued', waiting_for: 'slurm: Resources', reason: null }))).toBe('waiting in Slurm: Resources');
    expect(waitText(makeJob({ state: 'queued', waiting_for: 'slurm', reason: null }))).toBe('waiting in Slurm');
    expect(waitText(makeJob({ state: 'queued', waiting_for: 'submit retry', reason: null }))).toMatch(/cannot be reached/);
  });
});
