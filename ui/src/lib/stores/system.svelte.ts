import { SYSTEM_TOPIC } from '../api/system';
import type { TopicRegistry } from '../api/topics';
import type { HistoryResponse, SystemSample } from '../api/types';

/** One point of the short history behind the sparklines. */
export interface SparkPoint {
  time: number;
  cpu: number | null;
  memory: number | null;
  /** GPU id → utilisation % and memory used bytes. */
  gpus: Record<number, { utilization: number | null; memory: number | null }>;
}

export const SPARK_WINDOW_S = 600;

/**
 * The latest `system.sample` of each server and a ring of the last 10 minutes for sparklines.
 */
export class SystemStore {
  latest = $state.raw<Record<string, SystemSample>>({});
  version = $state(0);
  errors = $state<Record<string, string | null>>({});
  private readonly rings = new Map<string, SparkPoint[]>();
  private readonly windowS: number;

  constructor(windowS = SPARK_WINDOW_S) {
    this.windowS = windowS;
  }

  push(serverId: string, sample: SystemSample): void {
    const clean = { ...sample } as SystemSample & { type?: string };
    delete clean.type;
    const previous = this.latest[serverId];
    if (!previous || (clean.time ?? 0) >= (previous.time ?? 0)) {
      this.latest = { ...this.latest, [serverId]: clean };
    }
    if (!clean.cluster && typeof clean.time === 'number') {
      const gpus: SparkPoint['gpus'] = {};
      for (const g of clean.gpus ?? []) gpus[g.id] = { utilization: g.utilization, memory: g.memory_used_bytes };
      this.insert(serverId, {
        time: clean.time,
        cpu: clean.cpu?.percent ?? null,
        memory: clean.memory?.percent ?? null,
        gpus,
      }, true);
    }
    this.errors[serverId] = null;
    this.version++;
  }

  /** Fills the ring from `GET /system/history` (only the last window is kept). */
  seed(serverId: string, history: HistoryResponse): void {
    for (const s of history.samples) {
      const gpus: SparkPoint['gpus'] = {};
      for (const g of s.gpus ?? []) gpus[g.id] = { utilization: g.utilization, memory: g.memory_used_bytes };
      this.insert(serverId, { time: s.time, cpu: s.cpu_percent, memory: s.memory_percent, gpus }, false);
    }
    this.version++;
  }

  private insert(serverId: string, point: SparkPoint, replaceSameTime: boolean): void {
    let ring = this.rings.get(serverId);
    if (!ring) {
      ring = [];
      this.rings.set(serverId, ring);
    }
    const last = ring.length ? ring[ring.length - 1].time : -Infinity;
    if (point.time > last) ring.push(point);
    else if (point.time === last) {
      if (replaceSameTime) ring[ring.length - 1] = point;
    }
    else {
      // Out of order (history arriving after live samples): insert in place, drop duplicates.
      const at = ring.findIndex((p) => p.time >= point.time);
      if (ring[at].time === point.time) return;
      ring.splice(at, 0, point);
    }
    const newest = ring[ring.length - 1].time;
    let drop = 0;
    while (drop < ring.length && ring[drop].time < newest - this.windowS) drop++;
    if (drop) ring.splice(0, drop);
  }

  /** A copy of the ring (a new array on every change, so derived values see the change). */
  ring(serverId: string): SparkPoint[] {
    void this.version;
    return (this.rings.get(serverId) ?? []).slice();
  }

  setError(serverId: string, message: string | null): void {
    this.errors[serverId] = message;
  }

  removeServer(serverId: string): void {
    this.rings.delete(serverId);
    const next = { ...this.latest };
    delete next[serverId];
    this.latest = next;
    delete this.errors[serverId];
    this.version++;
  }
}

/** Makes `store` the handler of the system topic: each "system.sample" becomes the latest sample. */
export function registerSystemTopic(topics: TopicRegistry, store: SystemStore): () => void {
  return topics.register(SYSTEM_TOPIC, (serverId, msg) => {
    if (msg.type === 'system.sample') store.push(serverId, msg as unknown as SystemSample);
  });
}
