// Stars and tags from the runs table: PATCH the run's annotations, then store the server's answer.
import { errorMessage } from '../../lib/api/errors';
import * as runsApi from '../../lib/api/runs';
import { app } from '../../lib/stores/app';
import type { RunRow } from '../../lib/table';

async function patch(row: RunRow, body: { starred?: boolean; tags?: string[] }): Promise<void> {
  const client = app.servers.client(row.serverId);
  if (!client) throw new Error(`${app.servers.get(row.serverId)?.name ?? row.serverId}: not connected`);
  const answer = await runsApi.patchAnnotations(client, row.run.id, body);
  app.runs.setAnnotations(row.serverId, row.run.id, answer);
}

/** Stars or unstars a run; returns an error text, or null. */
export async function setStarred(row: RunRow, starred: boolean): Promise<string | null> {
  try {
    await patch(row, { starred });
    return null;
  } catch (e) {
    return `${row.run.name}: ${errorMessage(e)}`;
  }
}

/** A tag as typed: trimmed, inner spaces kept; empty is no tag. */
export function cleanTag(tag: string): string {
  return tag.trim();
}

/** The tags after adding and removing (order kept, added ones at the end). */
export function nextTags(current: readonly string[], add: readonly string[], remove: readonly string[]): string[] {
  const removed = new Set(remove);
  const out = current.filter((t) => !removed.has(t));
  for (const t of add) if (!out.includes(t) && !removed.has(t)) out.push(t);
  return out;
}

/** Adds and removes tags on each run; returns the errors (one per run that failed). */
export async function changeTags(rows: readonly RunRow[], add: readonly string[], remove: readonly string[]): Promise<string[]> {
  const errors: string[] = [];
  await Promise.all(
    rows.map(async (row) => {
      const current = app.runs.annotations(row.key).tags;
      const tags = nextTags(current, add, remove);
      if (tags.length === current.length && tags.every((t, i) => t === current[i])) return;
      try {
        await patch(row, { tags });
      } catch (e) {
        errors.push(`${row.run.name}: ${errorMessage(e)}`);
      }
    }),
  );
  return errors;
}
