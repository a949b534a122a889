// Starting a terminal from a page (a project, a run, a job, a script's Run button): POST
// /terminals, open its tab, and go to the Terminals page showing it.
import { createTerminal } from '../api/terminals';
import { href } from '../router';
import { app } from '../stores/app';
import { navigate } from '../stores/route.svelte';
import { terminalTabs } from '../stores/terminalTabs.svelte';

/**
 * Starts a terminal in `root` (null: the server user's HOME), in its folder `path` ("": the
 * root's own), running `command` or the login shell. Throws ApiError.
 */
export async function openTerminal(serverId: string, root: string | null, command: string | null = null, path = ''): Promise<void> {
  const client = app.servers.client(serverId);
  if (!client) throw new Error(`Unknown server ${serverId}`);
  const terminal = await createTerminal(client, { root, path, command, cols: 100, rows: 30 });
  terminalTabs.open({ serverId, id: terminal.id });
  navigate(href('terminals', serverId, terminal.id));
}
