// The chart workspace's metric list: TensorBoard's search (a case-insensitive regex; a plain word
// works too) and sections by the tag prefix before the first "/" ("loss/train" under "loss").

export interface MetricFilter {
  test: (name: string) => boolean;
  /** Why the pattern is not a valid regex ('' when it is, or when it is empty). */
  error: string;
}

export function metricFilter(pattern: string): MetricFilter {
  const text = pattern.trim();
  if (!text) return { test: () => true, error: '' };
  try {
    const re = new RegExp(text, 'i');
    return { test: (name) => re.test(name), error: '' };
  } catch (e) {
    const message = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e);
    const lower = text.toLowerCase();
    // An invalid regex still filters by plain text, so the list does not go blank while typing.
    return { test: (name) => name.toLowerCase().includes(lower), error: `Not a valid regex: ${message}` };
  }
}

export interface MetricSection {
  /** The prefix ("loss"), or '' for metrics without one. */
  name: string;
  metrics: string[];
}

/** The prefix of a tag before its first "/" ('' when it has none). */
export function metricPrefix(name: string): string {
  const i = name.indexOf('/');
  return i > 0 ? name.slice(0, i) : '';
}

/**
 * Sections in the order their first metric appears; metrics without a prefix come first, in one
 * unnamed section. With `bySection` false, one unnamed section holds every metric.
 */
export function metricSections(metrics: readonly string[], bySection: boolean): MetricSection[] {
  if (!bySection) return metrics.length ? [{ name: '', metrics: [...metrics] }] : [];
  const sections = new Map<string, string[]>();
  const plain: string[] = [];
  for (const m of metrics) {
    const p = metricPrefix(m);
    if (!p) {
      plain.push(m);
      continue;
    }
    let list = sections.get(p);
    if (!list) sections.set(p, (list = []));
    list.push(m);
  }
  const out: MetricSection[] = [];
  if (plain.length) out.push({ name: '', metrics: plain });
  for (const [name, list] of sections) out.push({ name, metrics: list });
  return out;
}

/**
 * A short legend name for each of several long names: the part that differs, keeping the shared
 * prefix and suffix out ("2024-01-02_10.00.00_run00001" / "…_run00002" → "run00001", "run00002"),
 * cut to `max` characters with an ellipsis in the middle. Names stay unique where they were.
 */
export function shortNames(names: readonly string[], max = 28): string[] {
  if (names.length <= 1) return names.map((n) => ellipsize(n, max));
  let prefix = names[0];
  let suffix = names[0];
  for (const n of names) {
    while (prefix && !n.startsWith(prefix)) prefix = prefix.slice(0, -1);
    while (suffix && !n.endsWith(suffix)) suffix = suffix.slice(1);
  }
  // Cut at a word boundary (_ - / space :), not inside a number ("lr_0.1", "lr_0.01" → "0.1", "0.01").
  const boundary = /[_\-/ :]/;
  let p = prefix.length;
  while (p > 0 && !boundary.test(prefix[p - 1])) p--;
  let s = suffix.length;
  while (s > 0 && !boundary.test(suffix[suffix.length - s])) s--;
  const cut = names.map((n) => {
    const end = Math.max(p, n.length - s);
    const core = n.slice(p, end);
    return core.length > 0 ? core : n;
  });
  if (new Set(cut).size !== new Set(names).size) return names.map((n) => ellipsize(n, max));
  return cut.map((n) => ellipsize(n, max));
}

/** "a-very-long-name" → "a-very…name" when longer than `max`. */
export function ellipsize(text: string, max: number): string {
  if (text.length <= max) return text;
  const keep = max - 1;
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
}
