// The overview's view state: filter, sort, layout, grouping, state chips, selection (all in the
// URL), collapsed groups and the cursor row (this page only), and the columns (this browser).
import { SvelteSet } from 'svelte/reactivity';
import type { RunState } from '../../lib/api/types';
import { ascendingByDefault, DEFAULT_COLUMNS, parseColumn, type ColumnId, type GroupBy, type SortSpec } from '../../lib/table';
import {
  DEFAULT_SORT,
  defaultOverviewState,
  overviewHash,
  type OverviewGrouping,
  type OverviewLayout,
  type OverviewUrlState,
} from '../../lib/urlState';

/** Where the state is written: the browser's history (or a fake in tests). */
export interface UrlWriter {
  current(): string;
  replace(hash: string): void;
  push(hash: string): void;
}

export interface ColumnStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const COLUMNS_KEY = 'ailab.overview.columns';
/** At most one replaceState per this many ms while typing (browsers throttle history calls). */
const TYPING_WRITE_MS = 150;

export const browserUrl: UrlWriter = {
  current: () => location.hash,
  replace: (hash) => history.replaceState(history.state, '', hash),
  push: (hash) => history.pushState(history.state, '', hash),
};

/** Whether this browser has a saved column choice (else the table adds differing params itself). */
export function hasSavedColumns(storage: ColumnStorage | null): boolean {
  try {
    return !!storage?.getItem(COLUMNS_KEY);
  } catch {
    return false;
  }
}

export function loadColumns(storage: ColumnStorage | null): ColumnId[] {
  try {
    const raw = storage?.getItem(COLUMNS_KEY);
    if (raw) {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) {
        const ids = parsed.filter((c): c is string => typeof c === 'string' && parseColumn(c) !== null && c !== 'starred');
        if (ids.length) return [...new Set(ids)];
      }
    }
  } catch {
    /* a broken entry: the defaults */
  }
  return [...DEFAULT_COLUMNS];
}

export class OverviewState {
  query = $state('');
  // Raw (not deep proxies): read in hot loops, and replaced whole on change.
  sort = $state.raw<SortSpec>({ ...DEFAULT_SORT });
  layout = $state<OverviewLayout>('grouped');
  grouping = $state.raw<OverviewGrouping>({ kind: 'folder' });
  readonly states = new SvelteSet<RunState>();
  readonly selected = new SvelteSet<string>();
  readonly collapsed = new SvelteSet<string>();
  columns = $state.raw<ColumnId[]>([]);
  /** Whether the columns were chosen (in this browser); until then differing params are shown too. */
  columnsChosen = $state(false);
  /** The row under the keyboard cursor (j / k). */
  cursor = $state<string | null>(null);

  private timer: ReturnType<typeof setTimeout> | null = null;
  private pending: 'push' | 'replace' | null = null;
  private generation = 0;
  private lastWrite = 0;

  private readonly url: UrlWriter;
  private readonly storage: ColumnStorage | null;

  constructor(url: UrlWriter, storage: ColumnStorage | null, initial: OverviewUrlState = defaultOverviewState()) {
    this.url = url;
    this.storage = storage;
    this.columns = loadColumns(storage);
    this.columnsChosen = hasSavedColumns(storage);
    this.apply(initial);
  }

  /** What goes into the URL. */
  snapshot(): OverviewUrlState {
    return {
      query: this.query,
      sort: { ...this.sort },
      layout: this.layout,
      grouping: this.grouping,
      states: [...this.states],
      selected: [...this.selected],
    };
  }

  /** The table's grouping. */
  get groupBy(): GroupBy {
    return this.layout === 'flat' ? { kind: 'none' } : this.grouping;
  }

  /** Takes the state from a URL (a reload, Back, a shared link). Writes nothing. */
  apply(s: OverviewUrlState): void {
    this.cancelPending();
    this.query = s.query;
    this.sort = { ...s.sort };
    this.layout = s.layout;
    this.grouping = s.grouping;
    replaceAll(this.states, s.states);
    replaceAll(this.selected, s.selected);
  }

  /** Whether the URL already shows this state (then applying it changes nothing). */
  matches(s: OverviewUrlState): boolean {
    return overviewHash(s) === overviewHash(this.snapshot());
  }

  // ---- changes: typing replaces the history entry, discrete changes add one

  setQuery(text: string): void {
    if (text === this.query) return;
    this.query = text;
    this.scheduleReplace();
  }

  sortBy(column: ColumnId): void {
    if (this.sort.column === column) this.sort = { column, direction: this.sort.direction === 'asc' ? 'desc' : 'asc' };
    else this.sort = { column, direction: ascendingByDefault(column) ? 'asc' : 'desc' };
    this.push();
  }

  setLayout(layout: OverviewLayout): void {
    if (layout === this.layout) return;
    this.layout = layout;
    this.push();
  }

  setGrouping(grouping: OverviewGrouping): void {
    this.grouping = grouping;
    this.layout = 'grouped';
    this.collapsed.clear();
    this.push();
  }

  toggleState(s: RunState): void {
    if (this.states.has(s)) this.states.delete(s);
    else this.states.add(s);
    this.push();
  }

  /** Selection changes replace the entry: Back should not step through checkbox clicks. */
  toggleSelected(key: string): void {
    if (this.selected.has(key)) this.selected.delete(key);
    else this.selected.add(key);
    this.replace();
  }

  setSelected(keys: Iterable<string>, on: boolean): void {
    for (const k of keys) {
      if (on) this.selected.add(k);
      else this.selected.delete(k);
    }
    this.replace();
  }

  toggleCollapsed(groupKey: string): void {
    if (this.collapsed.has(groupKey)) this.collapsed.delete(groupKey);
    else this.collapsed.add(groupKey);
  }

  setColumns(columns: ColumnId[]): void {
    this.columns = [...new Set(columns)];
    this.columnsChosen = true;
    try {
      this.storage?.setItem(COLUMNS_KEY, JSON.stringify(this.columns));
    } catch {
      /* storage full or off: the columns last for this page only */
    }
  }

  /** Writes a pending change now (before a navigation, so Back finds it). */
  flush(): void {
    const kind = this.pending;
    this.cancelPending();
    if (kind) this.write(kind);
  }

  dispose(): void {
    this.cancelPending();
  }

  // ---- writing. A discrete change pushes at once; a replace (typing, selection) costs
  // milliseconds in some browsers, so it happens after the frame that shows the change, and
  // typing writes at most every TYPING_WRITE_MS.

  private cancelPending(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    this.generation++;
  }

  private write(kind: 'push' | 'replace'): void {
    const hash = overviewHash(this.snapshot());
    this.lastWrite = Date.now();
    if (hash === this.url.current()) return;
    if (kind === 'push') this.url.push(hash);
    else this.url.replace(hash);
  }

  private schedule(kind: 'replace', delayMs: number): void {
    const next = kind;
    if (this.timer !== null) {
      if (next === this.pending) return;
      clearTimeout(this.timer);
    }
    this.pending = next;
    const generation = ++this.generation;
    const run = () => {
      if (generation === this.generation) this.flush();
    };
    // After the next frame where there are frames; a later flush() or cancel makes this a no-op.
    this.timer = setTimeout(() => (delayMs === 0 && typeof requestAnimationFrame === 'function' ? requestAnimationFrame(() => setTimeout(run, 0)) : run()), delayMs);
  }

  private replace(): void {
    this.schedule('replace', 0);
  }

  /** A new entry at once: Back right after the change must find it. */
  private push(): void {
    this.cancelPending();
    this.write('push');
  }

  private scheduleReplace(): void {
    this.schedule('replace', Math.max(0, TYPING_WRITE_MS - (Date.now() - this.lastWrite)));
  }
}

function replaceAll<T>(set: SvelteSet<T>, values: readonly T[]): void {
  const wanted = new Set(values);
  for (const v of [...set]) if (!wanted.has(v)) set.delete(v);
  for (const v of values) if (!set.has(v)) set.add(v);
}
