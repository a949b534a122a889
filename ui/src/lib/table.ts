import { RUN_STATES, type RunState, type RunSummary } from './api/types';

/** One run of one server, as the runs store holds it. Replaced (never mutated) on change. */
export interface RunRow {
  /** `${serverId}:${run.id}` — unique across servers. */
  key: string;
  serverId: string;
  run: RunSummary;
}

export type SortColumn = 'server' | 'name' | 'state' | 'phase' | 'epoch' | 'progress' | 'eta' | 'score' | 'updated';
export type SortDirection = 'asc' | 'desc';
export interface SortSpec {
  column: SortColumn;
  direction: SortDirection;
}

export interface RunFilter {
  text: string;
  /** Empty: every state. */
  states: ReadonlySet<RunState>;
}

export type DisplayRow =
  | {
      kind: 'group';
      key: string;
      serverId: string;
      group: string;
      count: number;
      collapsed: boolean;
      runKeys: string[];
    }
  | { kind: 'run'; key: string; row: RunRow; grouped: boolean };

export function rowKey(serverId: string, runId: string): string {
  return `${serverId}:${runId}`;
}

export function groupKey(serverId: string, group: string): string {
  return `group:${serverId}:${group}`;
}

const stateRank = new Map<string, number>(RUN_STATES.map((s, i) => [s, i]));

function sortValue(row: RunRow, column: SortColumn, names: Readonly<Record<string, string>>): string | number | null {
  const r = row.run;
  switch (column) {
    case 'server':
      return names[row.serverId] ?? row.serverId;
    case 'name':
      return r.name;
    case 'state':
      return stateRank.get(r.state) ?? RUN_STATES.length;
    case 'phase':
      return r.phase;
    case 'epoch':
      return r.epoch;
    case 'progress':
      return r.progress;
    case 'eta':
      return r.eta;
    case 'score':
      return r.score;
    case 'updated':
      return r.updated_at;
  }
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Compares two rows by a column; unknown values sort last in both directions; ties fall back to name then key. */
export function compareRows(
  a: RunRow,
  b: RunRow,
  sort: SortSpec,
  names: Readonly<Record<string, string>> = {},
): number {
  const va = sortValue(a, sort.column, names);
  const vb = sortValue(b, sort.column, names);
  const aNull = va === null || va === undefined || (typeof va === 'number' && Number.isNaN(va));
  const bNull = vb === null || vb === undefined || (typeof vb === 'number' && Number.isNaN(vb));
  if (aNull !== bNull) return aNull ? 1 : -1;
  let result = 0;
  if (!aNull && !bNull) {
    result = typeof va === 'number' && typeof vb === 'number' ? va - vb : collator.compare(String(va), String(vb));
    if (sort.direction === 'desc') result = -result;
  }
  if (result !== 0) return result;
  const byName = collator.compare(a.run.name, b.run.name);
  if (byName !== 0) return byName;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Whether a row passes the text filter (name, path, group, phase, state, server) and the state filter. */
export function matchesFilter(row: RunRow, filter: RunFilter, names: Readonly<Record<string, string>> = {}): boolean {
  if (filter.states.size > 0 && !filter.states.has(row.run.state)) return false;
  const text = filter.text.trim().toLowerCase();
  if (text === '') return true;
  const r = row.run;
  const haystack = [r.name, r.path, r.group ?? '', r.phase ?? '', r.state, names[row.serverId] ?? row.serverId]
    .join('\n')
    .toLowerCase();
  return text.split(/\s+/).every((word) => haystack.includes(word));
}

/**
 * Filters and sorts the rows and folds them into groups (per server and `group` folder).
 * Groups appear where their first (best-sorted) run would; runs without a group stand alone.
 * A collapsed group shows only its header row.
 */
export function buildDisplayRows(
  rows: Iterable<RunRow>,
  filter: RunFilter,
  sort: SortSpec,
  collapsed: ReadonlySet<string>,
  names: Readonly<Record<string, string>> = {},
): DisplayRow[] {
  const kept: RunRow[] = [];
  for (const row of rows) if (matchesFilter(row, filter, names)) kept.push(row);
  kept.sort((a, b) => compareRows(a, b, sort, names));

  const groups = new Map<string, RunRow[]>();
  const order: (string | RunRow)[] = [];
  for (const row of kept) {
    const g = row.run.group;
    if (!g) {
      order.push(row);
      continue;
    }
    const key = groupKey(row.serverId, g);
    let members = groups.get(key);
    if (!members) {
      members = [];
      groups.set(key, members);
      order.push(key);
    }
    members.push(row);
  }

  const out: DisplayRow[] = [];
  for (const item of order) {
    if (typeof item !== 'string') {
      out.push(runDisplayRow(item, false));
      continue;
    }
    const members = groups.get(item)!;
    const isCollapsed = collapsed.has(item);
    out.push({
      kind: 'group',
      key: item,
      serverId: members[0].serverId,
      group: members[0].run.group!,
      count: members.length,
      collapsed: isCollapsed,
      runKeys: members.map((m) => m.key),
    });
    if (!isCollapsed) for (const m of members) out.push(runDisplayRow(m, true));
  }
  return out;
}

type RunDisplayRow = Extract<DisplayRow, { kind: 'run' }>;
const displayCache = new WeakMap<RunRow, { grouped?: RunDisplayRow; loose?: RunDisplayRow }>();

/**
 * The display row of an unchanged run row is the same object on every call, so a keyed list sees
 * only the rows that really changed.
 */
function runDisplayRow(row: RunRow, grouped: boolean): RunDisplayRow {
  let cached = displayCache.get(row);
  if (!cached) {
    cached = {};
    displayCache.set(row, cached);
  }
  const slot = grouped ? 'grouped' : 'loose';
  return (cached[slot] ??= { kind: 'run', key: row.key, row, grouped });
}

/** Runs the server's cleanup accepts without force: aborted early, dead, failed or empty. */
export function isCleanupCandidate(run: RunSummary): boolean {
  return run.aborted_early === true || run.state === 'dead' || run.state === 'failed' || run.state === 'empty';
}
