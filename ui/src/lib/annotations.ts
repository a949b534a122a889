// Pure helpers for a run's notes, tags and star as the run page edits them. The server is the judge
// of what a valid tag is (1–64 bytes after trimming, no control characters, no commas, at most 32
// per run): these helpers only trim, skip what changes nothing, and suggest known tags.
import type { RunAnnotations } from './api/types';
import { formatDateTime, timeAgo } from './format';

/** The tag a person typed, as it is sent: trimmed (the server trims too). */
export function normalizeTag(text: string): string {
  return text.trim();
}

/**
 * The run's tags after adding `text`: null when that changes nothing (blank, or already there), so
 * the caller clears the input without a request. Invalid tags are sent as typed: the server's
 * answer says why they are refused.
 */
export function withTag(tags: readonly string[], text: string): string[] | null {
  const tag = normalizeTag(text);
  if (tag === '' || tags.includes(tag)) return null;
  return [...tags, tag];
}

/** The run's tags without `tag`. */
export function withoutTag(tags: readonly string[], tag: string): string[] {
  return tags.filter((t) => t !== tag);
}

/**
 * Known tags to offer for what is typed: not on the run yet, those starting with the text first
 * (case-insensitive), then those containing it; each group alphabetical. With nothing typed, the
 * first `limit` known tags.
 */
export function suggestTags(known: readonly string[], current: readonly string[], typed: string, limit = 8): string[] {
  const q = typed.trim().toLowerCase();
  const have = new Set(current);
  const starts: string[] = [];
  const contains: string[] = [];
  for (const t of known) {
    if (have.has(t)) continue;
    const lower = t.toLowerCase();
    if (q === '' || lower.startsWith(q)) starts.push(t);
    else if (lower.includes(q)) contains.push(t);
  }
  const byName = (a: string, b: string) => a.localeCompare(b);
  return [...starts.sort(byName), ...contains.sort(byName)].slice(0, limit);
}

/** "edited by alice 3 min ago"; '' for a run never annotated. */
export function annotationsByline(a: RunAnnotations, now: number): string {
  if (a.updated_at === null) return '';
  const who = a.updated_by ? ` by ${a.updated_by}` : '';
  return `edited${who} ${timeAgo(a.updated_at, now)}`;
}

/** The exact time of the last change, for a tooltip. */
export function annotationsTitle(a: RunAnnotations): string {
  return a.updated_at === null ? '' : formatDateTime(a.updated_at);
}

/** Of two copies of one run's annotations (the run detail's, the store's), the later one; `a` on a tie. */
export function laterAnnotations(a: RunAnnotations, b: RunAnnotations | null | undefined): RunAnnotations {
  if (!b) return a;
  return (b.updated_at ?? -Infinity) > (a.updated_at ?? -Infinity) ? b : a;
}
