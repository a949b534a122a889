import { describe, expect, it } from 'vitest';
import { isEventFile, isOutputFile, outputFiles } from './runOutput';

describe('run output files', () => {
  it('knows console and log names', () => {
    for (const f of ['train.log', 'logs/worker0.out', 'job.err', 'stdout', 'stderr.txt', 'output.txt']) expect(isOutputFile(f), f).toBe(true);
    for (const f of ['config.json', 'model.pt', 'notes.txt', 'catalog']) expect(isOutputFile(f), f).toBe(false);
  });
  it('lists the metrics log first, then the others once each', () => {
    expect(outputFiles('ailab.log', ['config.json', 'ailab.log', 'train.log', 'stdout.txt'])).toEqual(['ailab.log', 'train.log', 'stdout.txt']);
  });
  it('leaves out a TensorBoard event file (binary), keeps Lightning and Hugging Face logs', () => {
    const tb = 'logs/events.out.tfevents.1733212800.host.1234.0';
    expect(isEventFile(tb)).toBe(true);
    expect(isEventFile('metrics.csv')).toBe(false);
    expect(outputFiles(tb, [tb, 'train.log'])).toEqual(['train.log']);
    expect(outputFiles('lightning_logs/version_0/metrics.csv', [])).toEqual(['lightning_logs/version_0/metrics.csv']);
    expect(outputFiles('checkpoint-500/trainer_state.json', null)).toEqual(['checkpoint-500/trainer_state.json']);
  });
  it('copes with no log file and no files', () => {
    expect(outputFiles(null, ['a.log'])).toEqual(['a.log']);
    expect(outputFiles(null, null)).toEqual([]);
  });
  it('stops at the limit', () => {
    expect(outputFiles('ailab.log', ['1.log', '2.log', '3.log'], 2)).toEqual(['ailab.log', '1.log']);
  });
});
