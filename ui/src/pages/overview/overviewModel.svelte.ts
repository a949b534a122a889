// The overview's rows, derived step by step from the runs store and the view state, so each
// change redoes only its step: a keystroke re-filters the sorted rows (no re-sort), a sort click
// re-sorts, a live point re-reads only what depends on metric values.
import { untrack } from 'svelte';
import type { RunState } from '../../lib/api/types';
import { compileQuery, QueryError, type CompiledQuery, type EvalContext, type QuerySchema } from '../../lib/query';
import type { CompleteSchema } from '../../lib/queryComplete';
import { app } from '../../lib/stores/app';
import { countRuns, filterRows, groupRows, paramValues, parseColumn, sortRows, type DisplayRow, type RunRow } from '../../lib/table';
import type { OverviewState } from './overviewState.svelte';

const EVERYTHING: CompiledQuery = { predicate: () => true, uses: { params: false, metrics: false, annotations: false }, all: true };

export class OverviewModel {
  readonly names = $derived(app.servers.names());

  /** Reads the runs store without making the caller depend on it (the steps below say what they read). */
  readonly ctx: EvalContext = {
    params: (k) => app.runs.params(k),
    values: (k) => app.runs.values(k),
    annotations: (k) => app.runs.annotations(k),
    serverName: (id) => this.names[id] ?? id,
  };

  readonly allRows = $derived(app.runs.all());

  readonly metricNames = $derived.by(() => {
    const names = new Set<string>();
    for (const r of this.allRows) if (r.run.metrics) for (const m of r.run.metrics) names.add(m);
    return [...names].sort();
  });

  readonly schema: QuerySchema = $derived({ paramKeys: app.runs.paramKeys(), metricNames: this.metricNames });

  private lastGood: CompiledQuery = EVERYTHING;

  /** The compiled filter, and its error; while the text has an error the last good filter stays. */
  readonly compiled = $derived.by((): { query: CompiledQuery; error: QueryError | null } => {
    const text = this.state.query;
    const schema = this.schema;
    try {
      const query = compileQuery(text, schema);
      this.lastGood = query;
      return { query, error: null };
    } catch (e) {
      if (!(e instanceof QueryError)) throw e;
      return { query: this.lastGood, error: e };
    }
  });

  readonly sorted = $derived.by((): RunRow[] => {
    const rows = this.allRows;
    const sort = this.state.sort;
    const ref = parseColumn(sort.column);
    if (ref?.kind === 'param') void app.runs.paramsVersion;
    else if (ref?.kind === 'metric') void app.runs.valuesVersion;
    else if (ref?.kind === 'builtin' && (ref.id === 'tags' || ref.id === 'starred')) void app.runs.annotationsVersion;
    else if (ref?.kind === 'builtin' && ref.id === 'server') void this.names;
    return untrack(() => sortRows(rows, sort, this.ctx));
  });

  readonly filtered = $derived.by((): RunRow[] => {
    const sorted = this.sorted;
    const { query } = this.compiled;
    const states = new Set<RunState>(this.state.states);
    if (query.uses.params) void app.runs.paramsVersion;
    if (query.uses.metrics) void app.runs.valuesVersion;
    if (query.uses.annotations) void app.runs.annotationsVersion;
    if (!query.all) void this.names;
    return untrack(() => filterRows(sorted, states, query.all ? null : query.predicate, this.ctx));
  });

  readonly display = $derived.by((): DisplayRow[] => {
    const filtered = this.filtered;
    const groupBy = this.state.groupBy;
    const collapsed = new Set(this.state.collapsed);
    if (groupBy.kind === 'param') void app.runs.paramsVersion;
    return untrack(() => groupRows(filtered, groupBy, collapsed, this.ctx));
  });

  readonly runCount = $derived(countRuns(this.display));

  readonly stateCounts = $derived.by(() => {
    const counts: Partial<Record<RunState, number>> = {};
    for (const r of this.allRows) counts[r.run.state] = (counts[r.run.state] ?? 0) + 1;
    return counts;
  });

  /** The run rows in display order (j / k move through these). */
  readonly runKeys = $derived(this.display.filter((d) => d.kind === 'run').map((d) => d.key));

  readonly selectedRows = $derived.by((): RunRow[] => {
    void app.runs.version;
    const out: RunRow[] = [];
    for (const key of this.state.selected) {
      const row = app.runs.getByKey(key);
      if (row) out.push(row);
    }
    return out;
  });

  /** What autocomplete offers: keys, tags, and the values a param takes. */
  readonly completeSchema: CompleteSchema = $derived({
    ...this.schema,
    tags: app.runs.allTags(),
    paramValues: (key: string) => untrack(() => paramValues(this.allRows, key, this.ctx)),
  });

  /** The server column shows only when more than one server is added. */
  readonly multiServer = $derived(app.servers.list.length > 1);

  readonly state: OverviewState;

  constructor(state: OverviewState) {
    this.state = state;
  }
}
