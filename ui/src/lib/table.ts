import { RUN_STATES, type ParamValue, type RunState, type RunSummary } from './api/types';
import type { EvalContext, MetricAgg, Predicate } from './query';

/** One run of one server, as the runs store holds it. Replaced (never mutated) on change. */
export interface RunRow {
  /** `${serverId}:${run.id}` — unique across servers. */
  key: string;
  serverId: string;
  run: RunSummary;
}

export const BUILTIN_COLUMNS = ['server', 'name', 'state', 'phase', 'epoch', 'progress', 'eta', 'score', 'updated', 'started', 'tags'] as const;
export type BuiltinColumn = (typeof BUILTIN_COLUMNS)[number];

/**
 * A column of the runs table, by id: a builtin (`score`), a param (`param:optimizer.lr`) or a
 * metric's last / min / max (`metric:min:val_loss`). `starred` sorts by the star.
 */
export type ColumnId = string;
export type ColumnRef =
  | { kind: 'builtin'; id: BuiltinColumn | 'starred' }
  | { kind: 'param'; key: string }
  | { kind: 'metric'; agg: MetricAgg; name: string };

export const DEFAULT_COLUMNS: readonly ColumnId[] = ['server', 'name', 'state', 'phase', 'epoch', 'progress', 'eta', 'score', 'tags', 'updated'];

export const paramColumn = (key: string): ColumnId => `param:${key}`;
export const metricColumn = (agg: MetricAgg, name: string): ColumnId => `metric:${agg}:${name}`;

/**
 * The params worth a column before the user chose any: keys that most runs have (at least half)
 * and whose values differ between them (a sweep's lr, seed, model), fewest distinct values first
 * (a model over 2 values before a seed over 5), then by name; at most `limit`. A text unique to
 * every run (a path) is left out. Values are compared as JSON text.
 */
export function differingParams(params: readonly Readonly<Record<string, unknown>>[], limit = 4): string[] {
  const present = new Map<string, number>();
  const values = new Map<string, Set<string>>();
  const textual = new Set<string>();
  for (const p of params) {
    for (const [key, value] of Object.entries(p)) {
      present.set(key, (present.get(key) ?? 0) + 1);
      if (typeof value === 'string') textual.add(key);
      let seen = values.get(key);
      if (!seen) values.set(key, (seen = new Set()));
      if (seen.size <= params.length) seen.add(JSON.stringify(value));
    }
  }
  const withParams = params.filter((p) => Object.keys(p).length > 0).length;
  const chosen: { key: string; distinct: number }[] = [];
  for (const [key, count] of present) {
    const distinct = values.get(key)!.size;
    if (count * 2 < withParams || distinct < 2) continue;
    // A text unique to every run (a path, a name, a timestamp) separates nothing; a number unique
    // to every run is a sweep (lr) and stays.
    if (textual.has(key) && distinct === count && count > 3) continue;
    chosen.push({ key, distinct });
  }
  chosen.sort((a, b) => a.distinct - b.distinct || a.key.localeCompare(b.key));
  return chosen.slice(0, limit).map((c) => c.key);
}

export function parseColumn(id: ColumnId): ColumnRef | null {
  if (id === 'starred' || (BUILTIN_COLUMNS as readonly string[]).includes(id)) return { kind: 'builtin', id: id as BuiltinColumn };
  if (id.startsWith('param:') && id.length > 6) return { kind: 'param', key: id.slice(6) };
  const m = /^metric:(last|min|max):(.+)$/.exec(id);
  if (m) return { kind: 'metric', agg: m[1] as MetricAgg, name: m[2] };
  return null;
}

const BUILTIN_LABELS: Record<BuiltinColumn | 'starred', string> = {
  server: 'Server',
  name: 'Name',
  state: 'State',
  phase: 'Phase',
  epoch: 'Epoch',
  progress: 'Progress',
  eta: 'ETA',
  score: 'Score',
  updated: 'Updated',
  started: 'Started',
  tags: 'Tags',
  starred: 'Star',
};

export function columnLabel(id: ColumnId): string {
  const ref = parseColumn(id);
  if (!ref) return id;
  if (ref.kind === 'builtin') return BUILTIN_LABELS[ref.id];
  if (ref.kind === 'param') return ref.key;
  return ref.agg === 'last' ? ref.name : `${ref.agg}(${ref.name})`;
}

/** Whether a column sorts first-to-last by default (text) rather than highest first (numbers, times). */
export function ascendingByDefault(id: ColumnId): boolean {
  return id === 'name' || id === 'server' || id === 'state' || id === 'phase' || id === 'tags' || id.startsWith('param:');
}

export type SortDirection = 'asc' | 'desc';
export interface SortSpec {
  column: ColumnId;
  direction: SortDirection;
}

/** How the table folds runs: per server and folder (today's groups), by a param's value, or flat. */
export type GroupBy = { kind: 'folder' } | { kind: 'param'; key: string } | { kind: 'none' };

export type DisplayRow =
  | {
      kind: 'group';
      key: string;
      /** The server of a folder group; null for a param group (it spans servers). */
      serverId: string | null;
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

export function paramGroupKey(key: string, value: string): string {
  return `pgroup:${key}=${value}`;
}

/** Whether a run still moves (an ETA means something): a finished run shows none. */
export function isLive(state: RunState): boolean {
  return state === 'running';
}

/** The ETA to show: none once a run is not running (done, failed, dead, paused, idle…). */
export function shownEta(run: RunSummary): number | null {
  return isLive(run.state) ? run.eta : null;
}

const stateRank = new Map<string, number>(RUN_STATES.map((s, i) => [s, i]));

type SortKey = number | string | null;

/** A param as a sort key: numbers and booleans as numbers, lists as their text. */
export function paramSortKey(v: ParamValue | undefined): SortKey {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return Number.isNaN(v) ? null : v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A param value as text (cells, group names, autocomplete). */
export function paramText(v: ParamValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

type SortGetter = (row: RunRow, ctx: EvalContext) => SortKey;

/** How to read one column's sort key from a row (the column id is parsed once, not per row). */
function sortGetter(column: ColumnId): SortGetter {
  const ref = parseColumn(column);
  if (!ref) return () => null;
  if (ref.kind === 'param') {
    const key = ref.key;
    return (row, ctx) => paramSortKey(ctx.params(row.key)[key]);
  }
  if (ref.kind === 'metric') {
    const { name, agg } = ref;
    return (row, ctx) => ctx.values(row.key)[name]?.[agg] ?? null;
  }
  switch (ref.id) {
    case 'server':
      return (row, ctx) => ctx.serverName(row.serverId);
    case 'name':
      return (row) => row.run.name;
    case 'state':
      return (row) => stateRank.get(row.run.state) ?? RUN_STATES.length;
    case 'phase':
      return (row) => row.run.phase;
    case 'epoch':
      return (row) => row.run.epoch;
    case 'progress':
      return (row) => row.run.progress;
    case 'eta':
      return (row) => shownEta(row.run);
    case 'score':
      return (row) => row.run.score;
    case 'updated':
      return (row) => row.run.updated_at;
    case 'started':
      return (row) => row.run.started_at;
    case 'tags':
      return (row, ctx) => {
        const tags = ctx.annotations(row.key).tags;
        return tags.length ? tags.join(',') : null;
      };
    case 'starred':
      return (row, ctx) => (ctx.annotations(row.key).starred ? 1 : null);
  }
}

export function sortValue(row: RunRow, column: ColumnId, ctx: EvalContext): SortKey {
  return sortGetter(column)(row, ctx);
}

/**
 * A text's key for natural, case-insensitive order with plain `<`: lowercased, every run of
 * digits padded to 15 places ("run2" before "run10"). Much cheaper than a collator in a sort.
 */
export function naturalKey(text: string): string {
  return text.toLowerCase().replace(/\d+/g, (d) => (d.length >= 15 ? d : d.padStart(15, '0')));
}

/** Rows never change (a change is a new row), so a row's name key is computed once. */
const nameKeys = new WeakMap<RunRow, string>();
function nameKey(row: RunRow): string {
  let k = nameKeys.get(row);
  if (k === undefined) {
    k = naturalKey(row.run.name);
    nameKeys.set(row, k);
  }
  return k;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function isNull(v: SortKey): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

/** Two sort keys (text already as natural keys): unknown last in both directions, numbers before text. */
function compareKeys(va: SortKey, vb: SortKey, desc: boolean): number {
  const aNull = isNull(va);
  const bNull = isNull(vb);
  if (aNull || bNull) return aNull === bNull ? 0 : aNull ? 1 : -1;
  let result: number;
  if (typeof va === 'number' && typeof vb === 'number') result = va - vb;
  else if (typeof va === 'number') result = -1;
  else if (typeof vb === 'number') result = 1;
  else result = va! < vb! ? -1 : va! > vb! ? 1 : 0;
  return desc ? -result : result;
}

function tieBreak(a: RunRow, b: RunRow): number {
  const ka = nameKey(a);
  const kb = nameKey(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  // Same key ("Run1" and "run1", or "lr0.1" and "lr0.10"): the raw names, then the row keys.
  if (a.run.name !== b.run.name) return a.run.name < b.run.name ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Compares two rows by a column; unknown values sort last in both directions; ties fall back to name then key. */
export function compareRows(a: RunRow, b: RunRow, sort: SortSpec, ctx: EvalContext): number {
  const get = sortGetter(sort.column);
  const key = (r: RunRow) => {
    const v = get(r, ctx);
    return typeof v === 'string' ? naturalKey(v) : v;
  };
  return compareKeys(key(a), key(b), sort.direction === 'desc') || tieBreak(a, b);
}

/** The rows sorted (a new array); each row's sort key and name key are read once. */
export function sortRows(rows: readonly RunRow[], sort: SortSpec, ctx: EvalContext): RunRow[] {
  const get = sortGetter(sort.column);
  const desc = sort.direction === 'desc';
  const names = rows.map(nameKey);
  const keys: SortKey[] =
    sort.column === 'name'
      ? names
      : rows.map((r) => {
          const v = get(r, ctx);
          return typeof v === 'string' ? naturalKey(v) : v;
        });
  const order = rows.map((_, i) => i);
  order.sort((a, b) => {
    const byKey = compareKeys(keys[a], keys[b], desc);
    if (byKey !== 0) return byKey;
    const na = names[a];
    const nb = names[b];
    return na !== nb ? (na < nb ? -1 : 1) : tieBreak(rows[a], rows[b]);
  });
  return order.map((i) => rows[i]);
}

/** The rows (in order) in one of `states` (all when empty) that pass `predicate`. */
export function filterRows(rows: readonly RunRow[], states: ReadonlySet<RunState>, predicate: Predicate | null, ctx: EvalContext): RunRow[] {
  const out: RunRow[] = [];
  const byState = states.size > 0;
  for (const row of rows) {
    if (byState && !states.has(row.run.state)) continue;
    if (predicate && !predicate(row, ctx)) continue;
    out.push(row);
  }
  return out;
}

const NO_VALUE = '(none)';

/**
 * Folds sorted rows into display rows. Folder groups are per server and `group` folder (runs
 * without one stand alone); param groups span servers (runs without the param form "(none)").
 * A group appears where its first (best-sorted) run would; a collapsed group shows only its header.
 */
export function groupRows(sorted: readonly RunRow[], groupBy: GroupBy, collapsed: ReadonlySet<string>, ctx: EvalContext): DisplayRow[] {
  if (groupBy.kind === 'none') return sorted.map((r) => runDisplayRow(r, false));
  type Group = { key: string; label: string; serverId: string | null; members: RunRow[] };
  // Looked up by server, then folder (or by the param's text): no key string built per row.
  const byServer = new Map<string, Map<string, Group>>();
  const order: (Group | RunRow)[] = [];
  for (const row of sorted) {
    let label: string;
    let scope: string;
    if (groupBy.kind === 'folder') {
      const g = row.run.group;
      if (!g) {
        order.push(row);
        continue;
      }
      label = g;
      scope = row.serverId;
    } else {
      const v = ctx.params(row.key)[groupBy.key];
      label = v === undefined || v === null ? NO_VALUE : paramText(v);
      scope = '';
    }
    let groups = byServer.get(scope);
    if (!groups) {
      groups = new Map();
      byServer.set(scope, groups);
    }
    let group = groups.get(label);
    if (!group) {
      const folder = groupBy.kind === 'folder';
      group = { key: folder ? groupKey(scope, label) : paramGroupKey(groupBy.key, label), label, serverId: folder ? scope : null, members: [] };
      groups.set(label, group);
      order.push(group);
    }
    group.members.push(row);
  }

  const out: DisplayRow[] = [];
  for (const item of order) {
    if (!('members' in item)) {
      out.push(runDisplayRow(item, false));
      continue;
    }
    const { key, label, serverId, members } = item;
    const isCollapsed = collapsed.has(key);
    out.push({
      kind: 'group',
      key,
      serverId,
      group: label,
      count: members.length,
      collapsed: isCollapsed,
      runKeys: members.map((m) => m.key),
    });
    if (!isCollapsed) for (const m of members) out.push(runDisplayRow(m, true));
  }
  return out;
}

export interface DisplayOptions {
  states: ReadonlySet<RunState>;
  predicate: Predicate | null;
  sort: SortSpec;
  groupBy: GroupBy;
  collapsed: ReadonlySet<string>;
}

/** Sorts, filters and groups in one call (the table splits these steps to redo only what changed). */
export function buildDisplayRows(rows: Iterable<RunRow>, options: DisplayOptions, ctx: EvalContext): DisplayRow[] {
  const sorted = sortRows([...rows], options.sort, ctx);
  return groupRows(filterRows(sorted, options.states, options.predicate, ctx), options.groupBy, options.collapsed, ctx);
}

/** How many runs the display rows stand for (a collapsed group counts its members). */
export function countRuns(display: readonly DisplayRow[]): number {
  let n = 0;
  for (const d of display) n += d.kind === 'run' ? 1 : d.collapsed ? d.count : 0;
  return n;
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

/** Distinct values of a param across rows, most common first (autocomplete), at most `limit`. */
export function paramValues(rows: readonly RunRow[], key: string, ctx: EvalContext, limit = 30): string[] {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const v = ctx.params(r.key)[key];
    if (v === undefined || v === null) continue;
    const text = paramText(v);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || collator.compare(a[0], b[0]))
    .slice(0, limit)
    .map(([v]) => v);
}

/**
 * Runs the server's cleanup accepts without force: aborted early, dead, failed or empty. Not idle:
 * an idle run (a format without a goal whose files stopped growing) may have finished.
 */
export function isCleanupCandidate(run: RunSummary): boolean {
  return run.aborted_early === true || run.state === 'dead' || run.state === 'failed' || run.state === 'empty';
}
