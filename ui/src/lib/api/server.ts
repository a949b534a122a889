// Calls about the server itself: whether an origin is an AI Lab server, its health and its info.
import type { FetchLike, ServerClient } from './client';
import type { Info } from './types';

export function health(client: ServerClient): Promise<{ status: string; version: string }> {
  return client.get('/health');
}

export function info(client: ServerClient): Promise<Info> {
  return client.get('/info');
}

/** Asks `origin` whether it is an AI Lab server (GET /api/v1/health answers {"status":"ok"}). */
export async function isAilabServer(origin: string, fetchImpl: FetchLike = (i, n) => fetch(i, n)): Promise<boolean> {
  try {
    const response = await fetchImpl(`${origin}/api/v1/health`, { method: 'GET' });
    if (!response.ok) return false;
    const data = (await response.json()) as { status?: unknown };
    return data?.status === 'ok';
  } catch {
    return false;
  }
}
