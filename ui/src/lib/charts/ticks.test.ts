import { describe, expect, it } from 'vitest';
import { durationSplits, formatDurationTicks, formatDurationValue, formatLogTicks, formatTicks, formatTimeTicks, formatValue } from './ticks';

describe('formatTicks', () => {
  it('uses one style per axis: never "5.00e-4" beside "0.0015"', () => {
    expect(formatTicks([0.0005, 0.001, 0.0015, 0.002])).toEqual(['0.0005', '0.001', '0.0015', '0.002']);
    expect(formatTicks([0.2, 0.4, 0.6])).toEqual(['0.2', '0.4', '0.6']);
    expect(formatTicks([0, 0.25, 0.5])).toEqual(['0', '0.25', '0.5']);
  });
  it('writes very small axes as compact exponents', () => {
    expect(formatTicks([0.0001, 0.0002, 0.0003])).toEqual(['1e-4', '2e-4', '3e-4']);
    expect(formatTicks([0.00015, 0.0002, 0.00025])).toEqual(['1.5e-4', '2e-4', '2.5e-4']);
  });
  it('shortens large numbers with k / M', () => {
    expect(formatTicks([0, 5000, 10000, 15000])).toEqual(['0', '5k', '10k', '15k']);
    expect(formatTicks([1_000_000, 1_500_000, 2_000_000])).toEqual(['1M', '1.5M', '2M']);
    expect(formatTicks([100, 200, 300])).toEqual(['100', '200', '300']);
  });
  it('gives null (filtered) ticks an empty label, never "–"', () => {
    expect(formatTicks([1, null, 3])).toEqual(['1', '', '3']);
    expect(formatTicks([null])).toEqual(['']);
  });
});

describe('formatValue', () => {
  it('keeps about four significant digits in the compact style', () => {
    expect(formatValue(0.0015)).toBe('0.0015');
    expect(formatValue(0.00051234)).toBe('5.123e-4');
    expect(formatValue(0.0005)).toBe('5e-4');
    expect(formatValue(0.95123)).toBe('0.9512');
    expect(formatValue(12345)).toBe('12.35k');
    expect(formatValue(42)).toBe('42');
    expect(formatValue(null)).toBe('–');
  });
});

describe('time and duration ticks', () => {
  it('labels times in 24 h ISO style, with the date where it changes', () => {
    const t0 = new Date(2024, 0, 2, 13, 0, 0).getTime() / 1000;
    expect(formatTimeTicks([t0, t0 + 1800, t0 + 3600])).toEqual(['01-02 13:00', '13:30', '14:00']);
    expect(formatTimeTicks([t0, t0 + 30])).toEqual(['01-02 13:00:00', '13:00:30']);
    expect(formatTimeTicks([t0, t0 + 86400])).toEqual(['2024-01-02', '2024-01-03']);
  });
  it('writes durations compactly', () => {
    expect(formatDurationValue(45)).toBe('45s');
    expect(formatDurationValue(90)).toBe('1m30s');
    expect(formatDurationValue(3900)).toBe('1h05m');
    expect(formatDurationValue(7200)).toBe('2h');
    expect(formatDurationValue(86400 * 2 + 3 * 3600)).toBe('2d3h');
    expect(formatDurationTicks([0, 600, null])).toEqual(['0', '10m', '']);
  });
  it('splits a duration axis at round steps', () => {
    expect(durationSplits(0, 3600, 4)).toEqual([0, 900, 1800, 2700, 3600]);
    expect(durationSplits(10, 70, 3)).toEqual([30, 60]);
  });
});

describe('formatLogTicks', () => {
  it('labels decades, and 2 and 5 on short axes; other minor ticks stay blank', () => {
    const ticks = [0.1, 0.2, 0.3, 0.5, 1, 2, 3];
    expect(formatLogTicks(ticks, 0.1, 10)).toEqual(['0.1', '0.2', '', '0.5', '1', '2', '']);
    expect(formatLogTicks([1e-4, 2e-4, 1e-3, 1e-2, 1e-1], 1e-4, 1)).toEqual(['1e-4', '', '1e-3', '1e-2', '1e-1']);
    expect(formatLogTicks([1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3], 1e-5, 1e-3)).toEqual(['1e-5', '2e-5', '5e-5', '1e-4', '2e-4', '5e-4', '1e-3']);
    expect(formatLogTicks([0.01, 0.1, 1, 10, 100], 0.01, 100)).toEqual(['0.01', '0.1', '1', '10', '100']);
    expect(formatLogTicks([null, 1], 0.1, 10)).toEqual(['', '1']);
  });
});
