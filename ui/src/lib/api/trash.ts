// The trash of cleaned-up runs: list it and restore items from it.
import type { ServerClient } from './client';
import type { RestoreResponse, TrashItem } from './types';

export function listTrash(client: ServerClient): Promise<{ items: TrashItem[] }> {
  return client.get('/runs/trash');
}

/** Moves trash items (by trash_path) back to where they came from. */
export function restoreTrash(client: ServerClient, items: string[]): Promise<RestoreResponse> {
  return client.post('/runs/restore', { items });
}
