import { describe, expect, it } from 'vitest';
import { clockTime, collectingNote } from './collecting';

const at = (h: number, m: number, s = 0) => new Date(2024, 4, 1, h, m, s).getTime() / 1000;

describe('collectingNote', () => {
  it('is empty once there is a line (two points)', () => {
    expect(collectingNote({ times: [at(12, 0), at(12, 1)], intervalS: 60, since: null, now: at(12, 2) })).toBe('');
  });
  it('names the first point when there is one', () => {
    const note = collectingNote({ times: [at(12, 34)], intervalS: 60, since: at(12, 33, 10), now: at(12, 34, 30) });
    expect(note).toContain('first point at 12:34:00');
    expect(note).toContain('one point a minute');
  });
  it('says since when and when the first point comes when there is none', () => {
    const note = collectingNote({ times: [], intervalS: 60, since: at(12, 33, 10), now: at(12, 33, 40) });
    expect(note).toBe("Collecting since 12:33:10: no point yet, one point a minute (the minute's average); the first comes at about 12:34:00.");
  });
  it('works without a start time', () => {
    const note = collectingNote({ times: [], intervalS: 1, since: null, now: at(9, 0, 5) });
    expect(note).toBe('Collecting: no point yet, one point a second; the first comes at about 09:00:06.');
  });
});

describe('clockTime', () => {
  it('shows the date only for another day', () => {
    expect(clockTime(at(8, 5, 3), at(23, 0))).toBe('08:05:03');
    expect(clockTime(at(8, 5, 3), at(8, 5, 3) + 86400)).toBe('2024-05-01 08:05:03');
  });
});
