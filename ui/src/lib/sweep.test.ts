import { describe, expect, it } from 'vitest';
import { MAX_SWEEP_JOBS, expandSweeps, parseSweep, parseSweeps, sweepJobCount, sweepSummary } from './sweep';

describe('sweeps', () => {
  it('parses NAME=V1,V2 lines, skipping blank ones; a value may hold = and spaces', () => {
    expect(parseSweeps('lr=0.1,0.01\n\n  bs=32,64  \n')).toEqual([
      { name: 'lr', values: ['0.1', '0.01'] },
      { name: 'bs', values: ['32', '64'] },
    ]);
    expect(parseSweep('opt=--x=1 --y 2,a b')).toEqual({ name: 'opt', values: ['--x=1 --y 2', 'a b'] });
    expect(parseSweeps('')).toEqual([]);
    expect(parseSweeps(' \n\n')).toEqual([]);
  });

  it('refuses a line without =, a bad name, no values, an empty value, a value twice, a name twice', () => {
    // Bad input: each mistake the CLI refuses, with the text it names.
    expect(() => parseSweeps('lr')).toThrow('bad sweep "lr": it must be NAME=V1,V2,…');
    expect(() => parseSweeps('1lr=1,2')).toThrow(/bad sweep name "1lr"/);
    expect(() => parseSweeps('l-r=1,2')).toThrow(/bad sweep name "l-r"/);
    expect(() => parseSweeps('=1,2')).toThrow(/bad sweep name ""/);
    expect(() => parseSweeps('lr=')).toThrow('sweep lr has no values: lr=A,B');
    expect(() => parseSweeps('a=1,,2')).toThrow('sweep a has an empty value in "1,,2"');
    expect(() => parseSweeps('a=1,')).toThrow('sweep a has an empty value in "1,"');
    expect(() => parseSweeps('a=,1')).toThrow(/empty value/);
    expect(() => parseSweeps('a=1,2,1')).toThrow('sweep a has the value "1" twice');
    expect(() => parseSweeps('a=1,2\nb=3\na=4')).toThrow('sweep a is given twice: give its values once, a=A,B');
  });

  it('takes exactly 1000 combinations and refuses 1001 or more', () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => String(i)).join(',');
    const thousand = parseSweeps(`a=${values(10)}\nb=${values(100)}`);
    expect(sweepJobCount(thousand)).toBe(MAX_SWEEP_JOBS);
    const jobs = expandSweeps({ shell: 'echo {a} {b}' }, thousand);
    expect(jobs.length).toBe(1000);
    expect(jobs.at(-1)!.shell).toBe('echo 9 99');
    expect(() => parseSweeps(`a=${values(1001)}`)).toThrow('the sweeps make more than 1000 jobs (the most one submit takes)');
    expect(() => parseSweeps(`a=${values(11)}\nb=${values(100)}`)).toThrow(/more than 1000 jobs/);
    // A product far past any integer is refused as soon as it passes 1000.
    expect(() => parseSweeps(Array.from({ length: 40 }, (_, i) => `v${i}=${values(1000)}`).join('\n'))).toThrow(/more than 1000/);
    expect(() => expandSweeps({ shell: 'echo {a}' }, [{ name: 'a', values: values(1001).split(',') }])).toThrow(/more than 1000/);
  });

  it('makes the product in nested-loop order, the first sweep slowest, with names like the CLI', () => {
    const sweeps = parseSweeps('lr=0.1,0.01\nbs=32,64');
    const jobs = expandSweeps({ command: ['python', 'train.py', '--lr', '{lr}', '--bs={bs}'], gpus: 1 }, sweeps);
    expect(jobs.map((j) => j.command!.slice(3).join(' '))).toEqual(['0.1 --bs=32', '0.1 --bs=64', '0.01 --bs=32', '0.01 --bs=64']);
    expect(jobs.map((j) => j.name)).toEqual(['python lr=0.1 bs=32', 'python lr=0.1 bs=64', 'python lr=0.01 bs=32', 'python lr=0.01 bs=64']);
    expect(jobs[0].gpus).toBe(1);
    expect(sweepSummary(sweeps)).toBe('4 jobs: lr × bs');
    expect(sweepSummary(parseSweeps('a=1'))).toBe('1 job: a');
    expect(sweepSummary([])).toBe('');
  });

  it('replaces every placeholder in argv items, shell text and env values, and leaves the request alone', () => {
    // Bad input: a value with spaces must stay one argv item; a placeholder used twice in one text.
    const request = { command: ['/opt/bin/train.py', '--note', '{x}/{x}'], env: { A: 'x={x}', B: 'plain' } };
    const [job] = expandSweeps(request, parseSweeps('x=a b'));
    expect(job.command).toEqual(['/opt/bin/train.py', '--note', 'a b/a b']);
    expect(job.env).toEqual({ A: 'x=a b', B: 'plain' });
    expect(job.name).toBe('train.py x=a b');
    expect(request.command[2]).toBe('{x}/{x}');
    const shell = expandSweeps({ shell: 'echo lr={lr} {lr}', env: { K: '{k}' } }, parseSweeps('lr=1,2\nk=v'));
    expect(shell.map((j) => [j.shell, j.env!.K, j.name])).toEqual([
      ['echo lr=1 1', 'v', 'shell lr=1 k=v'],
      ['echo lr=2 2', 'v', 'shell lr=2 k=v'],
    ]);
    expect(expandSweeps({ shell: 'echo hi' }, [])).toEqual([{ shell: 'echo hi' }]);
  });

  it('names a job by its given name: as is with every placeholder, else followed by the combination', () => {
    const sweeps = parseSweeps('lr=1,2\nbs=8');
    const all = expandSweeps({ command: ['train'], name: 'run-{lr}-{bs}' }, sweeps);
    expect(all.map((j) => j.name)).toEqual(['run-1-8', 'run-2-8']);
    const some = expandSweeps({ command: ['train', '{bs}'], name: 'run-{lr}' }, sweeps);
    expect(some.map((j) => j.name)).toEqual(['run-1 lr=1 bs=8', 'run-2 lr=2 bs=8']);
    const none = expandSweeps({ command: ['train', '{lr}', '{bs}'], name: 'base' }, sweeps);
    expect(none.map((j) => j.name)).toEqual(['base lr=1 bs=8', 'base lr=2 bs=8']);
    // A placeholder only in the name is enough: the jobs differ by their names.
    expect(expandSweeps({ shell: 'echo', name: 'n{lr}' }, parseSweeps('lr=1,2')).map((j) => j.name)).toEqual(['n1', 'n2']);
  });

  it('refuses a sweep whose placeholder is nowhere (every job would be the same)', () => {
    // Bad input: {lr} missing from the command, the env values and the name; an env *name* does not count.
    expect(() => expandSweeps({ shell: 'echo {lr}', env: { '{bs}': 'x' } }, parseSweeps('lr=1,2\nbs=3'))).toThrow(
      'sweep bs: {bs} is in neither the command nor an env value nor the name, so every job would be the same (write {bs} where the value goes)',
    );
    expect(() => expandSweeps({ command: ['train', 'lr'] }, parseSweeps('lr=1'))).toThrow(/\{lr\} is in neither/);
    expect(() => expandSweeps({ shell: 'echo {a}' }, [{ name: 'a', values: ['1'] }, { name: 'a', values: ['2'] }])).toThrow(/given twice/);
  });
});
