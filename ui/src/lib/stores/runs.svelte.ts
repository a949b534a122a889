import { RUNS_TOPIC } from '../api/runs';
import type { TopicRegistry } from '../api/topics';
import type { RunPoint, RunSummary } from '../api/types';
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
      case 'runs.points': {
        if (typeof msg.id !== 'string' || !Array.isArray(msg.points)) return false;
        const listeners = this.pointListeners.get(rowKey(serverId, msg.id));
        if (listeners) for (const l of listeners) l(msg.points as RunPoint[]);
        return true;
      }
      default:
        return false;
    }
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
