// The overview's view state in its URL (`#/overview?q=…&sort=…`), so Back, reload and a shared
// link restore the same filter, sort, grouping, state chips and selection. Defaults are left out.
import { RUN_STATES, type RunState } from './api/types';
import { ascendingByDefault, parseColumn, type SortSpec } from './table';

export type OverviewLayout = 'grouped' | 'flat';
/** Grouping in the grouped layout: folders (per server) or a param's value. */
export type OverviewGrouping = { kind: 'folder' } | { kind: 'param'; key: string };

export interface OverviewUrlState {
  query: string;
  sort: SortSpec;
  layout: OverviewLayout;
  grouping: OverviewGrouping;
  states: RunState[];
  /** Selected rows (`<server>:<run id>`), in selection order. */
  selected: string[];
}

export const DEFAULT_SORT: SortSpec = { column: 'updated', direction: 'desc' };

export function defaultOverviewState(): OverviewUrlState {
  return { query: '', sort: { ...DEFAULT_SORT }, layout: 'grouped', grouping: { kind: 'folder' }, states: [], selected: [] };
}

/** The query string (no '?') for a state; empty for the defaults. */
export function encodeOverviewState(state: OverviewUrlState): string {
  const q = new URLSearchParams();
  if (state.query !== '') q.set('q', state.query);
  if (state.sort.column !== DEFAULT_SORT.column || state.sort.direction !== DEFAULT_SORT.direction) {
    q.set('sort', state.sort.column);
    q.set('dir', state.sort.direction);
  }
  if (state.layout === 'flat') q.set('view', 'flat');
  if (state.grouping.kind === 'param') q.set('group', `param:${state.grouping.key}`);
  if (state.states.length) q.set('states', [...state.states].sort((a, b) => RUN_STATES.indexOf(a) - RUN_STATES.indexOf(b)).join(','));
  if (state.selected.length) q.set('sel', state.selected.join(','));
  return q.toString();
}

/** The state a query string describes; what is missing or not understood is the default. */
export function decodeOverviewState(query: URLSearchParams | string): OverviewUrlState {
  const q = typeof query === 'string' ? new URLSearchParams(query.startsWith('?') ? query.slice(1) : query) : query;
  const out = defaultOverviewState();
  out.query = q.get('q') ?? '';
  const column = q.get('sort');
  if (column && parseColumn(column)) {
    const dir = q.get('dir');
    out.sort = { column, direction: dir === 'asc' || dir === 'desc' ? dir : ascendingByDefault(column) ? 'asc' : 'desc' };
  }
  if (q.get('view') === 'flat') out.layout = 'flat';
  const group = q.get('group');
  if (group && group.startsWith('param:') && group.length > 6) out.grouping = { kind: 'param', key: group.slice(6) };
  const states = (q.get('states') ?? '').split(',').filter((s): s is RunState => (RUN_STATES as string[]).includes(s));
  out.states = [...new Set(states)];
  // Row keys are "<server id>:<run id>"; server ids never hold ':'.
  out.selected = [...new Set((q.get('sel') ?? '').split(',').filter((k) => /^[^:]+:.+$/.test(k)))];
  return out;
}

/** The hash of the overview showing `state`. */
export function overviewHash(state: OverviewUrlState): string {
  const query = encodeOverviewState(state);
  return query ? `#/overview?${query}` : '#/overview';
}
