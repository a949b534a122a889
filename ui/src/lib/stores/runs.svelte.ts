import { RUNS_TOPIC } from '../api/runs';
import type { TopicRegistry } from '../api/topics';
import type { MetricValues, RunAnnotations, RunParams, RunPoint, RunSummary } from '../api/types';
import type { ServerMessage } from '../api/ws';
import { rowKey, type RunRow } from '../table';

type PointsListener = (points: RunPoint[]) => void;

/**
 * Every run of every added server, merged. Rows are immutable: an update replaces the row object,
 * so keyed lists re-render only the rows that changed. `version` changes on every mutation;
 * reading it (through `all()` or `get()`) makes a reactive context depend on the store.
 */
export class RunsStore {
  version = $state(0);
  /** Per server: an error text from the last load, or null. */
  errors = $state<Record<string, string | null>>({});
  /** Per server: whether a first list has arrived. */
  loaded = $state<Record<string, boolean>>({});

  private readonly rows = new Map<string, RunRow>();
  /** Per row key: the run's flattened params (GET /runs/params, then `runs.params` events). */
  private readonly paramsByKey = new Map<string, RunParams>();
  /** Per row key: the run's note, tags and star (GET /runs/annotations, `runs.annotations`). */
  private readonly annotationsByKey = new Map<string, RunAnnotations>();
  /** Bumped when params change (a table that only shows params need not follow every point). */
  paramsVersion = $state(0);
  /** Per row key: each metric's last / min / max (GET /runs/values, then folded from `runs.points`). */
  private readonly valuesByKey = new Map<string, Record<string, MetricValues>>();
  valuesVersion = $state(0);
  annotationsVersion = $state(0);
  private readonly pointListeners = new Map<string, Set<PointsListener>>();

  private bump(): void {
    this.version++;
  }

  all(): RunRow[] {
    void this.version;
    return Array.from(this.rows.values());
  }

  get size(): number {
    void this.version;
    return this.rows.size;
  }

  get(serverId: string, runId: string): RunRow | undefined {
    void this.version;
    return this.rows.get(rowKey(serverId, runId));
  }

  getByKey(key: string): RunRow | undefined {
    void this.version;
    return this.rows.get(key);
  }

  /** The run's flattened params, or an empty object while none are known. */
  params(key: string): RunParams {
    void this.paramsVersion;
    return this.paramsByKey.get(key) ?? EMPTY_PARAMS;
  }

  /** The run's metrics as last / min / max; an empty object while none are known. */
  values(key: string): Readonly<Record<string, MetricValues>> {
    void this.valuesVersion;
    return this.valuesByKey.get(key) ?? EMPTY_VALUES;
  }

  /** Replaces one server's metric values with the bulk answer of GET /runs/values. */
  setServerValues(serverId: string, values: Record<string, Record<string, MetricValues>>): void {
    const prefix = `${serverId}:`;
    for (const key of [...this.valuesByKey.keys()]) if (key.startsWith(prefix)) this.valuesByKey.delete(key);
    for (const [id, v] of Object.entries(values)) this.valuesByKey.set(rowKey(serverId, id), v);
    this.valuesVersion++;
  }

  /** The params of every run that has some (for choosing default columns). */
  paramsList(): RunParams[] {
    void this.paramsVersion;
    return [...this.paramsByKey.values()];
  }

  /** Every param key of every run, sorted (for column pickers and autocomplete). */
  paramKeys(): string[] {
    void this.paramsVersion;
    const keys = new Set<string>();
    for (const p of this.paramsByKey.values()) for (const k of Object.keys(p)) keys.add(k);
    return [...keys].sort();
  }

  /** The run's annotations; a blank record (no note, no tags, no star) when it has none. */
  annotations(key: string): RunAnnotations {
    void this.annotationsVersion;
    return this.annotationsByKey.get(key) ?? EMPTY_ANNOTATIONS;
  }

  /** Every tag in use on any run, sorted. */
  allTags(): string[] {
    void this.annotationsVersion;
    const tags = new Set<string>();
    for (const a of this.annotationsByKey.values()) for (const t of a.tags) tags.add(t);
    return [...tags].sort();
  }

  /** Replaces one server's params with the bulk answer of GET /runs/params. */
  setServerParams(serverId: string, params: Record<string, RunParams>): void {
    const prefix = `${serverId}:`;
    for (const key of [...this.paramsByKey.keys()]) if (key.startsWith(prefix)) this.paramsByKey.delete(key);
    for (const [id, p] of Object.entries(params)) this.paramsByKey.set(rowKey(serverId, id), p);
    this.paramsVersion++;
  }

  /** Replaces one server's annotations with the bulk answer of GET /runs/annotations. */
  setServerAnnotations(serverId: string, annotations: Record<string, RunAnnotations>): void {
    const prefix = `${serverId}:`;
    for (const key of [...this.annotationsByKey.keys()]) if (key.startsWith(prefix)) this.annotationsByKey.delete(key);
    for (const [id, a] of Object.entries(annotations)) this.annotationsByKey.set(rowKey(serverId, id), a);
    this.annotationsVersion++;
  }

  /** Stores one run's annotations as the server answered them (a PATCH's answer). */
  setAnnotations(serverId: string, runId: string, annotations: RunAnnotations): void {
    this.annotationsByKey.set(rowKey(serverId, runId), annotations);
    this.annotationsVersion++;
  }

  /** Replaces the runs of one server with a fresh list (GET /runs). */
  setServerRuns(serverId: string, runs: RunSummary[]): void {
    const seen = new Set<string>();
    for (const run of runs) {
      const key = rowKey(serverId, run.id);
      seen.add(key);
      const old = this.rows.get(key);
      if (old && sameRun(old.run, run)) continue;
      this.rows.set(key, { key, serverId, run });
    }
    for (const [key, row] of this.rows) if (row.serverId === serverId && !seen.has(key)) this.rows.delete(key);
    this.loaded[serverId] = true;
    this.errors[serverId] = null;
    this.bump();
  }

  setError(serverId: string, message: string | null): void {
    this.errors[serverId] = message;
  }

  removeServer(serverId: string): void {
    for (const [key, row] of this.rows) if (row.serverId === serverId) this.rows.delete(key);
    this.setServerParams(serverId, {});
    this.setServerAnnotations(serverId, {});
    this.setServerValues(serverId, {});
    delete this.loaded[serverId];
    delete this.errors[serverId];
    this.bump();
  }

  /** Applies one `runs.*` WebSocket event. Returns false for messages it does not know. */
  apply(serverId: string, msg: { type: string; [k: string]: unknown }): boolean {
    switch (msg.type) {
      case 'runs.added': {
        const run = msg.run as RunSummary | undefined;
        if (!run || typeof run.id !== 'string') return false;
        const key = rowKey(serverId, run.id);
        this.rows.set(key, { key, serverId, run });
        this.bump();
        return true;
      }
      case 'runs.removed': {
        if (typeof msg.id !== 'string') return false;
        if (this.rows.delete(rowKey(serverId, msg.id))) this.bump();
        return true;
      }
      case 'runs.updated': {
        if (typeof msg.id !== 'string') return false;
        const key = rowKey(serverId, msg.id);
        const old = this.rows.get(key);
        const changes = (msg.changes ?? {}) as Partial<RunSummary>;
        if (!old) return true;
        this.rows.set(key, { key, serverId, run: { ...old.run, ...changes, id: old.run.id } });
        this.bump();
        return true;
      }
      case 'runs.params': {
        if (typeof msg.id !== 'string' || typeof msg.params !== 'object' || msg.params === null) return false;
        this.paramsByKey.set(rowKey(serverId, msg.id), msg.params as RunParams);
        this.paramsVersion++;
        return true;
      }
      case 'runs.annotations': {
        const a = msg.annotations as RunAnnotations | undefined;
        if (typeof msg.id !== 'string' || !a || typeof a !== 'object' || !Array.isArray(a.tags)) return false;
        this.setAnnotations(serverId, msg.id, a);
        return true;
      }
      case 'runs.values': {
        // Sent when a run was read whole for the first time: its exact last / min / max.
        if (typeof msg.id !== 'string' || typeof msg.values !== 'object' || msg.values === null) return false;
        const run: Record<string, MetricValues> = {};
        for (const [name, v] of Object.entries(msg.values as Record<string, unknown>)) {
          if (!Array.isArray(v)) continue;
          const num = (x: unknown) => (typeof x === 'number' ? x : null);
          run[name] = { last: num(v[0]), min: num(v[1]), max: num(v[2]) };
        }
        this.valuesByKey.set(rowKey(serverId, msg.id), run);
        this.valuesVersion++;
        return true;
      }
      case 'runs.points': {
        if (typeof msg.id !== 'string' || !Array.isArray(msg.points)) return false;
        const key = rowKey(serverId, msg.id);
        this.foldValues(key, msg.points as RunPoint[]);
        const listeners = this.pointListeners.get(key);
        if (listeners) for (const l of listeners) l(msg.points as RunPoint[]);
        return true;
      }
      default:
        return false;
    }
  }

  /** Folds live points into the run's last / min / max (non-finite values are skipped). */
  private foldValues(key: string, points: RunPoint[]): void {
    if (points.length === 0) return;
    const next: Record<string, MetricValues> = { ...(this.valuesByKey.get(key) ?? {}) };
    for (const point of points) {
      if (!point || typeof point.values !== 'object' || point.values === null) continue;
      for (const [name, y] of Object.entries(point.values)) {
        if (typeof y !== 'number' || !Number.isFinite(y)) continue;
        const old = next[name];
        next[name] = {
          last: y,
          min: old && old.min !== null ? Math.min(old.min, y) : y,
          max: old && old.max !== null ? Math.max(old.max, y) : y,
        };
      }
    }
    this.valuesByKey.set(key, next);
    this.valuesVersion++;
  }

  /** Calls `listener` with the new points of one run as they arrive. */
  onPoints(serverId: string, runId: string, listener: PointsListener): () => void {
    const key = rowKey(serverId, runId);
    let set = this.pointListeners.get(key);
    if (!set) {
      set = new Set();
      this.pointListeners.set(key, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.pointListeners.delete(key);
    };
  }
}

/**
 * Makes `store` the handler of the runs topic. A "runs.batch" message (one per server batch, at
 * most 10 a second) carries several events, applied in order; any other runs event is applied alone.
 */
export function registerRunsTopic(topics: TopicRegistry, store: RunsStore): () => void {
  return topics.register(RUNS_TOPIC, (serverId, msg) => {
    if (msg.type !== 'runs.batch') {
      store.apply(serverId, msg);
      return;
    }
    const events = Array.isArray(msg.events) ? (msg.events as unknown[]) : [];
    for (const event of events) {
      if (typeof event !== 'object' || event === null) continue;
      const typed = event as ServerMessage;
      if (typeof typed.type === 'string' && typed.type.startsWith(`${RUNS_TOPIC}.`)) store.apply(serverId, typed);
    }
  });
}

const EMPTY_VALUES: Readonly<Record<string, MetricValues>> = Object.freeze({});
const EMPTY_PARAMS: RunParams = Object.freeze({}) as RunParams;
const EMPTY_ANNOTATIONS: RunAnnotations = Object.freeze({
  note: '',
  tags: [],
  starred: false,
  updated_at: null,
  updated_by: null,
}) as RunAnnotations;

function sameRun(a: RunSummary, b: RunSummary): boolean {
  for (const k of Object.keys(b) as (keyof RunSummary)[]) {
    const va = a[k];
    const vb = b[k];
    if (va === vb) continue;
    if (typeof va === 'object' && typeof vb === 'object' && JSON.stringify(va) === JSON.stringify(vb)) continue;
    return false;
  }
  return Object.keys(a).length === Object.keys(b).length;
}
