// The metric series of one or more runs, kept live: each run's series are fetched once per x axis,
// then the run's live points (`runs.points`) are appended in place. Points that arrive while a
// fetch is in flight are held and appended after it (appendPoints drops those already fetched).
// Changes are signalled through `version`, at most once per animation frame, so twenty live runs
// cost one redraw per frame, not one per point.
import type { ServerClient } from '../api/client';
import { errorMessage } from '../api/errors';
import * as runsApi from '../api/runs';
import type { RunPoint, XAxis } from '../api/types';
import { appendPoints, type SeriesMap } from '../series';

export interface LiveRef {
  serverId: string;
  runId: string;
}

export interface LiveSeriesDeps {
  client: (serverId: string) => ServerClient | undefined;
  onPoints: (serverId: string, runId: string, listener: (points: RunPoint[]) => void) => () => void;
}

interface Entry {
  ref: LiveRef;
  series: SeriesMap | null;
  /** Points held while a fetch is in flight; null when none is. */
  pending: RunPoint[] | null;
  generation: number;
  unsubscribe: () => void;
}

export const refKey = (r: LiveRef) => `${r.serverId}:${r.runId}`;

/** How long answers that arrive while others are in flight are held before the charts are drawn. */
const GATHER_MS = 1000;

const nextFrame: (f: () => void) => unknown =
  typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (f) => setTimeout(f, 16);

export class LiveSeries {
  /** Bumped when any run's series changed. */
  version = $state(0);
  /** Per run key: why its series could not be fetched. */
  errors = $state<Record<string, string>>({});
  /** Fetches in flight. */
  loading = $state(0);

  private readonly entries = new Map<string, Entry>();
  private axis: XAxis = 'step';
  private maxPoints = 1000;
  private scheduled = false;
  private gatherTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;

  constructor(private readonly deps: LiveSeriesDeps) {}

  /**
   * Follows these runs on this x axis, with about `maxPoints` points per series fetched. Runs that
   * are new are fetched and followed, runs no longer listed are dropped; a new axis or point count
   * fetches every run again.
   */
  set(refs: readonly LiveRef[], axis: XAxis, maxPoints: number): void {
    const refetch = axis !== this.axis || maxPoints !== this.maxPoints;
    this.axis = axis;
    this.maxPoints = maxPoints;
    const wanted = new Set(refs.map(refKey));
    for (const [key, e] of this.entries) {
      if (wanted.has(key)) continue;
      e.unsubscribe();
      this.entries.delete(key);
    }
    for (const ref of refs) {
      const key = refKey(ref);
      const e = this.entries.get(key);
      if (!e) this.follow(key, ref);
      else if (refetch) void this.fetch(e);
    }
    this.changed();
  }

  /** One run's series (reading makes the caller follow `version`); null while not fetched. */
  series(key: string): SeriesMap | null {
    void this.version;
    return this.entries.get(key)?.series ?? null;
  }

  /** Stops following every run. */
  dispose(): void {
    this.disposed = true;
    if (this.gatherTimer !== null) clearTimeout(this.gatherTimer);
    for (const e of this.entries.values()) e.unsubscribe();
    this.entries.clear();
  }

  private follow(key: string, ref: LiveRef): void {
    const entry: Entry = { ref, series: null, pending: null, generation: 0, unsubscribe: () => {} };
    entry.unsubscribe = this.deps.onPoints(ref.serverId, ref.runId, (points) => {
      if (entry.pending) {
        for (const p of points) entry.pending.push(p);
        return;
      }
      if (!entry.series) return;
      if (appendPoints(entry.series, points, this.axis).length) this.changed();
    });
    this.entries.set(key, entry);
    void this.fetch(entry);
  }

  private async fetch(entry: Entry): Promise<void> {
    const key = refKey(entry.ref);
    const generation = ++entry.generation;
    const axis = this.axis;
    const client = this.deps.client(entry.ref.serverId);
    if (!client) {
      this.errors = { ...this.errors, [key]: 'server not added' };
      return;
    }
    entry.pending = [];
    this.loading++;
    try {
      const answer = await runsApi.getMetrics(client, entry.ref.runId, axis, this.maxPoints);
      if (generation !== entry.generation || this.disposed) return;
      const series = answer.series ?? {};
      appendPoints(series, entry.pending ?? [], axis);
      entry.series = series;
      entry.pending = null;
      if (this.errors[key]) {
        const { [key]: _gone, ...rest } = this.errors;
        void _gone;
        this.errors = rest;
      }
    } catch (e) {
      if (generation !== entry.generation) return;
      entry.pending = null;
      this.errors = { ...this.errors, [key]: errorMessage(e) };
    } finally {
      this.loading--;
      this.changed();
    }
  }

  /**
   * Signals a change on the next frame. While fetches are in flight, answers are gathered for up to
   * GATHER_MS first: twenty runs arriving one by one then cost one chart build, not twenty.
   */
  private changed(): void {
    if (this.disposed) return;
    if (this.loading > 0) {
      if (this.gatherTimer === null) this.gatherTimer = setTimeout(() => this.flush(), GATHER_MS);
      return;
    }
    this.flush();
  }

  private flush(): void {
    if (this.gatherTimer !== null) {
      clearTimeout(this.gatherTimer);
      this.gatherTimer = null;
    }
    if (this.scheduled || this.disposed) return;
    this.scheduled = true;
    nextFrame(() => {
      this.scheduled = false;
      this.version++;
    });
  }
}
