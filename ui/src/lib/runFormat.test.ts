import { describe, expect, it } from 'vitest';
import type { RunFormat } from './api/types';
import { formatBadge, formatLabel, runFormat } from './runFormat';
import { makeIdleRun, makeRun, makeTensorboardRun } from './testdata';

describe('run format', () => {
  it('is ailab when the server does not say or says something unknown', () => {
    expect(runFormat(makeRun())).toBe('ailab');
    expect(runFormat({ format: 'mlflow' as RunFormat })).toBe('ailab');
    expect(runFormat(null)).toBe('ailab');
    expect(runFormat(makeTensorboardRun())).toBe('tensorboard');
  });
  it('labels every format but shows no badge for ailab', () => {
    expect(formatLabel('huggingface')).toBe('Hugging Face');
    expect(formatBadge(makeRun())).toBe('');
    expect(formatBadge(makeTensorboardRun())).toBe('TensorBoard');
    expect(formatBadge(makeIdleRun())).toBe('Lightning');
  });
});
