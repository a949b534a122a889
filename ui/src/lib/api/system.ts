// The system feature's HTTP calls (latest sample, history) and its WebSocket topic.
import type { ServerClient } from './client';
import type { HistoryResponse, SystemSample } from './types';

/** The topic whose "system.sample" events carry the latest sample. */
export const SYSTEM_TOPIC = 'system';

export function getSystem(client: ServerClient): Promise<SystemSample> {
  return client.get('/system');
}

export function getHistory(client: ServerClient, range: '1h' | '24h'): Promise<HistoryResponse> {
  return client.get('/system/history', { range });
}
