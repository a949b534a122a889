import { describe, expect, it } from 'vitest';
import { formatBytes, formatEpoch, formatEta, formatNumber, formatPercent, timeAgo, formatDuration } from './format';

describe('timeAgo', () => {
  const now = 1_700_000_000;
  it('says just now for the last few seconds and for clock skew', () => {
    expect(timeAgo(now - 2, now)).toBe('just now');
    expect(timeAgo(now + 30, now)).toBe('just now');
  });
  it('counts seconds, minutes, hours, days', () => {
    expect(timeAgo(now - 42, now)).toBe('42 s ago');
    expect(timeAgo(now - 180, now)).toBe('3 min ago');
    expect(timeAgo(now - 3599, now)).toBe('59 min ago');
    expect(timeAgo(now - 3600 * 5 - 10, now)).toBe('5 h ago');
    expect(timeAgo(now - 86400 * 2 - 5, now)).toBe('2 d ago');
  });
  it('shows a dash for unknown times', () => {
    expect(timeAgo(null, now)).toBe('–');
    expect(timeAgo(undefined, now)).toBe('–');
    expect(timeAgo(Number.NaN, now)).toBe('–');
  });
});

describe('formatEta', () => {
  it('formats seconds, m:ss, h:mm:ss and days', () => {
    expect(formatEta(45)).toBe('45 s');
    expect(formatEta(600)).toBe('10:00');
    expect(formatEta(754)).toBe('12:34');
    expect(formatEta(3 * 3600 + 2 * 60 + 1)).toBe('3:02:01');
    expect(formatEta(2 * 86400 + 4 * 3600 + 99)).toBe('2 d 4 h');
  });
  it('rounds fractions', () => {
    expect(formatEta(59.6)).toBe('1:00');
  });
  it('shows a dash for unknown and negative values', () => {
    expect(formatEta(null)).toBe('–');
    expect(formatEta(-1)).toBe('–');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('–');
  });
});

describe('other formatters', () => {
  it('formats bytes with binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(80 * 1024 ** 3)).toBe('80.0 GiB');
    expect(formatBytes(null)).toBe('–');
  });
  it('formats percentages', () => {
    expect(formatPercent(12.345)).toBe('12 %');
    expect(formatPercent(12.345, 1)).toBe('12.3 %');
    expect(formatPercent(null)).toBe('–');
  });
  it('formats numbers with four significant digits', () => {
    expect(formatNumber(0.912345)).toBe('0.9123');
    expect(formatNumber(1234.5678)).toBe('1235');
    expect(formatNumber(0.00001234)).toBe('1.23e-5');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(null)).toBe('–');
  });
  it('formats epochs as done/total', () => {
    expect(formatEpoch(3, 10)).toBe('3/10');
    expect(formatEpoch(3, null)).toBe('3');
    expect(formatEpoch(1.25, 10)).toBe('1.3/10');
    expect(formatEpoch(null, 10)).toBe('–');
  });
  it('formats durations', () => {
    expect(formatDuration(30)).toBe('30 s');
    expect(formatDuration(125)).toBe('2 min');
    expect(formatDuration(3600 * 2 + 300)).toBe('2 h 5 min');
  });
});
