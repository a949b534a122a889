// The runs feature's HTTP calls (GET /runs, one run, its metrics and export, cleanup) and its
// WebSocket topic. Trash and restore live in trash.ts.
import type { ServerClient } from './client';
import type { CleanupResponse, MetricsResponse, RunDetail, RunSummary, XAxis } from './types';

/** The topic whose events ("runs.added", "runs.updated", "runs.batch", …) carry run changes. */
export const RUNS_TOPIC = 'runs';

export function listRuns(client: ServerClient): Promise<{ runs: RunSummary[] }> {
  return client.get('/runs');
}

export function getRun(client: ServerClient, id: string): Promise<RunDetail> {
  return client.get(`/runs/${encodeURIComponent(id)}`);
}

/** The metric series of one run, downsampled by the server to about `maxPoints` per series. */
export function getMetrics(client: ServerClient, id: string, x: XAxis, maxPoints: number, keys?: string[]): Promise<MetricsResponse> {
  return client.get(`/runs/${encodeURIComponent(id)}/metrics`, {
    x,
    max_points: Math.max(2, Math.round(maxPoints)),
    keys: keys && keys.length ? keys.join(',') : undefined,
  });
}

/** Every point of a run as CSV or JSON lines text. */
export function exportRun(client: ServerClient, id: string, format: 'csv' | 'jsonl'): Promise<string> {
  return client.requestText('GET', `/runs/${encodeURIComponent(id)}/export`, { query: { format } });
}

/** Moves runs to the server's trash. */
export function cleanupRuns(client: ServerClient, ids: string[]): Promise<CleanupResponse> {
  return client.post('/runs/cleanup', { ids });
}
