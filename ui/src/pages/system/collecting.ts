// The note a System chart shows while its history is too short to draw a line (a fresh server's
// 24 h view has one point a minute, written when each minute ends).

export interface CollectingInput {
  /** The history's sample times (Unix seconds), oldest first. */
  times: readonly number[];
  /** Seconds between the history's points (1 for 1 h, 60 for 24 h). */
  intervalS: number;
  /** When this server started sampling, if known (the oldest sample it holds). */
  since: number | null;
  now: number;
}

/** "12:34:05" today, "2024-05-01 12:34:05" on another day (local time, 24 h). */
export function clockTime(t: number, now: number): string {
  const d = new Date(t * 1000);
  const today = new Date(now * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const sameDay = d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate();
  return sameDay ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

function every(intervalS: number): string {
  if (intervalS === 1) return 'one point a second';
  if (intervalS === 60) return "one point a minute (the minute's average)";
  return `one point every ${intervalS} s`;
}

/** '' when the history has two points or more (a line); otherwise what is being collected and when the first point is (or comes). */
export function collectingNote({ times, intervalS, since, now }: CollectingInput): string {
  if (times.length >= 2) return '';
  const interval = intervalS > 0 ? intervalS : 1;
  if (times.length === 1) return `Collecting: first point at ${clockTime(times[0], now)}, ${every(interval)}; the line starts with the second.`;
  // A point is written when its interval ends: the first comes at the end of the current one.
  const next = Math.floor(now / interval) * interval + interval;
  const start = since !== null ? ` since ${clockTime(since, now)}` : '';
  return `Collecting${start}: no point yet, ${every(interval)}; the first comes at about ${clockTime(next, now)}.`;
}
