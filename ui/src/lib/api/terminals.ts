// The terminals feature's HTTP calls (docs/API.md "Terminals"): list, start, end. The live
// terminal socket lives in lib/terminals/session.ts.
import type { ServerClient } from './client';

export interface TerminalExit {
  code: number | null;
  signal: number | null;
}

/** One terminal as the server lists it. */
export interface TerminalInfo {
  id: string;
  user: string;
  command: string;
  /** "project:<name>", "run:<id>", "job:<id>", or null (the server user's HOME). */
  root: string | null;
  folder: string;
  cols: number;
  rows: number;
  state: 'running' | 'exited';
  exit: TerminalExit | null;
  started_at: number;
  last_activity: number;
  clients: number;
  output_bytes: number;
  title: string;
}

export interface NewTerminal {
  root: string | null;
  /** A folder beneath `root` to start in ("" or absent: the root's folder); only with a root. */
  path?: string;
  cols?: number;
  rows?: number;
  /** Run through the user's shell (`-c`); null: the login shell itself. */
  command?: string | null;
}

/** GET /terminals: the caller's terminals (every user's for an admin), oldest first, exited ones included. */
export async function listTerminals(client: ServerClient): Promise<TerminalInfo[]> {
  return (await client.get<{ terminals: TerminalInfo[] }>('/terminals')).terminals ?? [];
}

/** POST /terminals. 400 bad root or size, 404 unknown root, 429 past `max_terminals`. */
export async function createTerminal(client: ServerClient, request: NewTerminal): Promise<TerminalInfo> {
  const body: Record<string, unknown> = { root: request.root, cols: request.cols ?? 80, rows: request.rows ?? 24, command: request.command ?? null };
  if (request.root !== null && request.path) body.path = request.path;
  return (await client.post<{ terminal: TerminalInfo }>('/terminals', body)).terminal;
}

/** DELETE /terminals/{id}: SIGHUP, then SIGKILL after a grace; it leaves the list at once. */
export async function deleteTerminal(client: ServerClient, id: string): Promise<TerminalInfo> {
  return (await client.request<{ terminal: TerminalInfo }>('DELETE', `/terminals/${encodeURIComponent(id)}`)).terminal;
}

/** The terminal socket's address for a server's base URL ("http://h:1") and a terminal id. */
export function terminalWsUrl(base: string, id: string): string {
  return `${base.replace(/^http/, 'ws')}/api/v1/terminals/${encodeURIComponent(id)}/ws`;
}

/** `text` quoted for a POSIX shell: one word, whatever it holds. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The interpreter that the file browser's Run button uses for `path`; null when it runs none. */
export function runnerFor(path: string): 'python3' | 'bash' | null {
  if (/\.py$/i.test(path)) return 'python3';
  if (/\.sh$/i.test(path)) return 'bash';
  return null;
}

/**
 * What the file browser's Run button asks for the script at `path` (relative to its root): a
 * terminal in the file's folder running `python3 <file>` or `bash <file>`, the name quoted for the
 * shell. Null for a file that is neither .py nor .sh.
 */
export function runRequest(path: string): { path: string; command: string } | null {
  const runner = runnerFor(path);
  if (!runner) return null;
  const slash = path.lastIndexOf('/');
  const folder = slash < 0 ? '' : path.slice(0, slash);
  const file = slash < 0 ? path : path.slice(slash + 1);
  // A name that starts with '-' would be read as an option of the interpreter.
  return { path: folder, command: `${runner} ${shellQuote(file.startsWith('-') ? `./${file}` : file)}` };
}
