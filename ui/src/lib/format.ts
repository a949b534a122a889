// Small, pure formatting helpers shared by the pages.

/** "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago"; "–" for unknown. Times in Unix seconds. */
export function timeAgo(time: number | null | undefined, now: number): string {
  if (time === null || time === undefined || !Number.isFinite(time)) return '–';
  const diff = now - time;
  if (diff < 5) return 'just now';
  if (diff < 60) return `${Math.floor(diff)} s ago`;
  if (diff < 3600) return `${Math.floor(diff / 60)} min ago`;
  if (diff < 86400) return `${Math.floor(diff / 3600)} h ago`;
  return `${Math.floor(diff / 86400)} d ago`;
}

/** ETA in seconds → "45 s", "12:34", "3:02:01", "2 d 4 h"; "–" for unknown or negative. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const days = Math.floor(s / 86400);
  if (days > 0) return `${days} d ${Math.floor((s % 86400) / 3600)} h`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** Duration in seconds → "3 min", "2 h 5 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (h < 48) return m ? `${h} h ${m} min` : `${h} h`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes → "1.5 GiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** Percentage 0–100 → "42 %". */
export function formatPercent(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${value.toFixed(digits)} %`;
}

/** A metric value with about 4 significant digits, exponent form for very small or large values. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-3) return value.toExponential(2);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

/** "3/10" for epoch of epochs, "3" when the total is unknown, "–" when nothing is known. */
export function formatEpoch(epoch: number | null | undefined, epochs: number | null | undefined): string {
  if (epoch === null || epoch === undefined) return '–';
  const e = Number.isInteger(epoch) ? String(epoch) : epoch.toFixed(1);
  return epochs === null || epochs === undefined ? e : `${e}/${epochs}`;
}

/** Local date and time "2024-01-02 10:00:00" from Unix seconds. */
export function formatDateTime(time: number | null | undefined): string {
  if (time === null || time === undefined || !Number.isFinite(time)) return '–';
  const d = new Date(time * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}
