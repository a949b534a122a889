// The runs feature's HTTP calls (GET /runs, one run, its metrics, event-file images and export,
// cleanup) and its WebSocket topic. Trash and restore live in trash.ts.
import type { ServerClient } from './client';
import { ApiError } from './errors';
import type {
  AnnotationsPatch,
  CleanupResponse,
  MetricValues,
  MetricsResponse,
  RunAnnotations,
  RunDetail,
  RunImagesResponse,
  RunParams,
  RunSummary,
  XAxis,
} from './types';

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

/**
 * The images in a run's TensorBoard event files, in file order (what `/images/{index}` serves).
 * A server without the endpoint (before event files were read) answers 404: no images.
 */
export async function listRunImages(client: ServerClient, id: string, signal?: AbortSignal): Promise<RunImagesResponse> {
  try {
    const answer = await client.request<RunImagesResponse | null>('GET', `/runs/${encodeURIComponent(id)}/images`, { signal });
    return { images: Array.isArray(answer?.images) ? answer.images : [], truncated: answer?.truncated === true };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return { images: [], truncated: false };
    throw e;
  }
}

/** One event-file image's bytes (with the token, so not an <img src>), typed by its Content-Type, or `fallbackType`. */
export async function readRunImage(client: ServerClient, id: string, index: number, fallbackType = 'image/png', signal?: AbortSignal): Promise<Blob> {
  const { bytes, headers } = await client.requestBytes('GET', `/runs/${encodeURIComponent(id)}/images/${index}`, { signal });
  const type = headers.get('Content-Type')?.split(';')[0].trim() || fallbackType;
  return new Blob([bytes.slice()], { type: type === 'application/octet-stream' ? fallbackType : type });
}

/** Every point of a run as CSV or JSON lines text. */
export function exportRun(client: ServerClient, id: string, format: 'csv' | 'jsonl'): Promise<string> {
  return client.requestText('GET', `/runs/${encodeURIComponent(id)}/export`, { query: { format } });
}

/** Moves runs to the server's trash. */
export function cleanupRuns(client: ServerClient, ids: string[]): Promise<CleanupResponse> {
  return client.post('/runs/cleanup', { ids });
}

/** Every run's flattened params in one answer: {"params": {"<run id>": {"<key>": value}}}. */
export function listParams(client: ServerClient): Promise<{ params: Record<string, RunParams> }> {
  return client.get('/runs/params');
}

/** The annotations (note, tags, star) of every annotated run. */
export function listAnnotations(client: ServerClient): Promise<{ annotations: Record<string, RunAnnotations> }> {
  return client.get('/runs/annotations');
}

/** Changes a run's note, tags or star; answers the run's annotations as stored. */
export function patchAnnotations(client: ServerClient, id: string, patch: AnnotationsPatch): Promise<RunAnnotations> {
  return client.request('PATCH', `/runs/${encodeURIComponent(id)}/annotations`, { body: patch });
}

/**
 * Every run's metrics as last / min / max, in one answer (for filtering and sorting the table):
 * {"values": {"<run id>": {"loss": [last, min, max]}}}, unpacked here into MetricValues.
 */
export async function listValues(client: ServerClient): Promise<Record<string, Record<string, MetricValues>>> {
  const answer = await client.get<{ values: Record<string, Record<string, [number | null, number | null, number | null]>> }>(
    '/runs/values',
  );
  const out: Record<string, Record<string, MetricValues>> = {};
  for (const [id, metrics] of Object.entries(answer.values ?? {})) {
    const run: Record<string, MetricValues> = {};
    for (const [name, v] of Object.entries(metrics)) run[name] = { last: v[0] ?? null, min: v[1] ?? null, max: v[2] ?? null };
    out[id] = run;
  }
  return out;
}
