// The projects and files feature's HTTP calls (docs/API.md "Projects and files"): projects, folder
// listings in pages, file content with ETag and Range, saves with preconditions (412 = conflict),
// mkdir / move / trash / restore, resumable chunked uploads, folder archives and search.
// Every file call names a root (`project:<name>`, `run:<id>`, `job:<id>`) and a relative path.
import type { ServerClient } from './client';
import { ApiError } from './errors';

export type ProjectSource = 'config' | 'auto' | 'created';

export interface Project {
  name: string;
  path: string;
  source: ProjectSource;
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface FileEntry {
  name: string;
  type: EntryType;
  size: number;
  /** Unix seconds. */
  mtime: number;
  hidden: boolean;
  /** For a symlink that stays inside the root: what it points at. */
  target_type?: EntryType;
}

export interface ListPage {
  root: string;
  path: string;
  entries: FileEntry[];
  total: number;
  /** The offset of the next page, null at the end. */
  next_offset: number | null;
}

/** The server's largest listing page. */
export const LIST_PAGE = 5000;

/** The largest upload chunk the server takes (16 MiB); the client sends smaller ones. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

export function projectRoot(name: string): string {
  return `project:${name}`;
}
export function runRoot(id: string): string {
  return `run:${id}`;
}
export function jobRoot(id: number | string): string {
  return `job:${id}`;
}

// ---- projects ----

export async function listProjects(client: ServerClient): Promise<Project[]> {
  return (await client.get<{ projects: Project[] }>('/projects')).projects ?? [];
}

/** POST /projects: 400 for a name with `/`, `..`, a leading dot or control characters; 409 when it exists. */
export async function createProject(client: ServerClient, name: string): Promise<Project> {
  return (await client.post<{ project: Project }>('/projects', { name })).project;
}

// ---- listing ----

/** GET /files/list: one page of a folder, folders first, then by name. */
export function listFolder(client: ServerClient, root: string, path: string, offset = 0, limit = LIST_PAGE): Promise<ListPage> {
  return client.get<ListPage>('/files/list', { root, path, offset: offset || undefined, limit: limit === LIST_PAGE ? undefined : limit });
}

/**
 * A whole folder, page after page; `onPage` sees the entries so far after each page (so the first
 * 5,000 can be painted while the rest load). Stops early when `signal` aborts.
 */
export async function listAll(
  client: ServerClient,
  root: string,
  path: string,
  onPage?: (entries: FileEntry[], page: ListPage) => void,
  signal?: AbortSignal,
): Promise<FileEntry[]> {
  let entries: FileEntry[] = [];
  let offset: number | null = 0;
  // A server that never ends its pages cannot hold the client forever.
  for (let pages = 0; offset !== null && pages < 10_000; pages++) {
    if (signal?.aborted) break;
    const page: ListPage = await listFolder(client, root, path, offset);
    entries = entries.concat(page.entries ?? []);
    onPage?.(entries, page);
    const next: number | null = page.next_offset ?? null;
    offset = next !== null && next > offset ? next : null;
  }
  return entries;
}

// ---- content ----

export interface ByteRange {
  /** First byte (inclusive). A negative start asks for the last -start bytes (a suffix). */
  start: number;
  /** Last byte (inclusive); none: to the end. */
  end?: number;
}

export function rangeHeader(range: ByteRange): string {
  if (range.start < 0) return `bytes=${range.start}`;
  return `bytes=${range.start}-${range.end === undefined ? '' : range.end}`;
}

/** Parses `Content-Range: bytes a-b/total` (or `bytes *\/total` of a 416). */
export function parseContentRange(value: string | null): { start: number; end: number; total: number | null } | null {
  if (!value) return null;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(value.trim());
  if (!m) return null;
  const total = m[3] === '*' ? null : Number(m[3]);
  if (m[1] === undefined) return { start: 0, end: -1, total };
  return { start: Number(m[1]), end: Number(m[2]), total };
}

export interface FileContent {
  bytes: Uint8Array;
  /** The strong ETag as sent (with its quotes), or null. */
  etag: string | null;
  contentType: string;
  /** The offset of `bytes[0]` in the file. */
  start: number;
  /** The file's whole size. */
  size: number;
  /** A job snapshot's file (`X-AILab-Read-Only: 1`). */
  readOnly: boolean;
}

/**
 * GET /files/content, whole or a range. A range that starts at or past the end (416) comes back
 * as no bytes with the size the server reported, so a tail poll sees "nothing new".
 */
export async function readFile(client: ServerClient, root: string, path: string, range?: ByteRange, signal?: AbortSignal): Promise<FileContent> {
  const headers: Record<string, string> = {};
  if (range) headers.Range = rangeHeader(range);
  let response: Response;
  try {
    response = await client.requestRaw('GET', '/files/content', { query: { root, path }, headers, signal });
  } catch (e) {
    if (e instanceof ApiError && e.status === 416 && range) {
      const total = parseContentRange(e.headers?.get('Content-Range') ?? null)?.total ?? range.start;
      return { bytes: new Uint8Array(0), etag: null, contentType: '', start: Math.max(0, total), size: total, readOnly: false };
    }
    throw e;
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const contentRange = response.status === 206 ? parseContentRange(response.headers.get('Content-Range')) : null;
  const start = contentRange ? contentRange.start : 0;
  const size = contentRange?.total ?? (contentRange ? start + bytes.length : bytes.length);
  return {
    bytes,
    etag: response.headers.get('ETag'),
    contentType: response.headers.get('Content-Type') ?? 'application/octet-stream',
    start,
    size,
    readOnly: response.headers.get('X-AILab-Read-Only') === '1',
  };
}

// ---- saving ----

/** How a save is guarded: overwrite the version with this ETag, or create a file that must not exist. */
export type SavePrecondition = { kind: 'overwrite'; etag: string } | { kind: 'create' };

export type SaveResult =
  | { kind: 'saved'; etag: string; size: number }
  /** The file changed underneath (or exists, for a create): `etag` is the current version's, null if the server sent none. */
  | { kind: 'conflict'; etag: string | null; message: string };

/** The JSON answers carry the bare hex; the ETag header (what reads keep) quotes it. */
export function quotedEtag(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"`;
}

/** PUT /files/content with If-Match (overwrite) or If-None-Match: * (create). A 412 is a conflict, not an error. */
export async function saveFile(
  client: ServerClient,
  root: string,
  path: string,
  content: Uint8Array | string,
  precondition: SavePrecondition,
): Promise<SaveResult> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
  if (precondition.kind === 'overwrite') headers['If-Match'] = precondition.etag;
  else headers['If-None-Match'] = '*';
  try {
    const answer = await client.request<{ etag: string; size: number }>('PUT', '/files/content', {
      query: { root, path },
      headers,
      rawBody: new Blob([bytes.slice()]),
    });
    return { kind: 'saved', etag: quotedEtag(answer.etag), size: answer.size };
  } catch (e) {
    if (e instanceof ApiError && e.status === 412) {
      const etag = (e.body as { etag?: unknown } | null)?.etag;
      return { kind: 'conflict', etag: typeof etag === 'string' ? quotedEtag(etag) : (e.headers?.get('ETag') ?? null), message: e.message };
    }
    throw e;
  }
}

// ---- changes ----

export async function makeFolder(client: ServerClient, root: string, path: string): Promise<void> {
  await client.post('/files/mkdir', { root, path });
}

/** POST /files/move: 409 when `to` exists (it never overwrites). */
export async function moveEntry(client: ServerClient, root: string, from: string, to: string): Promise<void> {
  await client.post('/files/move', { root, from, to });
}

/** POST /files/trash: the entry's place in the root's trash, for `restoreEntry`. */
export async function trashEntry(client: ServerClient, root: string, path: string): Promise<string> {
  return (await client.post<{ trash_path: string }>('/files/trash', { root, path })).trash_path;
}

/** POST /files/restore: the path it came back to; 409 when that place is taken. */
export async function restoreEntry(client: ServerClient, root: string, trashPath: string): Promise<string> {
  return (await client.post<{ path: string }>('/files/restore', { root, trash_path: trashPath })).path;
}

// ---- upload ----

export interface UploadProgress {
  sent: number;
  total: number;
}

export interface UploadOptions {
  chunkBytes?: number;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /** Tries per chunk on a dropped connection or a 5xx (default 4), with `retryDelayMs` doubling (default 500). */
  attempts?: number;
  retryDelayMs?: number;
  /** Where a previous, interrupted upload of the same file had got to (its last `received`). */
  resumeAt?: number;
}

interface ChunkAnswer {
  received: number;
  complete: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function retryable(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 0 || e.status >= 500 || e.status === 429);
}

/**
 * POST /files/upload in chunks: each chunk says its `offset` and the file's `total`; the server
 * answers how much it holds (`received`) and the next chunk starts there, so a retry after a
 * dropped connection resumes instead of starting over. A 409 or 416 that names `received` (the
 * server holds a different amount than the client thought) moves the offset there. The file
 * appears under `path` when `received == total`; the server never overwrites an existing file.
 */
export async function uploadFile(
  client: ServerClient,
  root: string,
  path: string,
  file: Blob,
  options: UploadOptions = {},
): Promise<UploadProgress> {
  const chunk = Math.max(1, Math.min(MAX_CHUNK_BYTES, options.chunkBytes ?? DEFAULT_CHUNK_BYTES));
  const attempts = options.attempts ?? 4;
  const total = file.size;
  let offset = Math.max(0, Math.min(total, options.resumeAt ?? 0));
  let failures = 0;
  options.onProgress?.({ sent: offset, total });
  for (let round = 0; round < 1_000_000; round++) {
    if (options.signal?.aborted) throw new DOMException('Upload cancelled', 'AbortError');
    const end = Math.min(total, offset + chunk);
    let answer: ChunkAnswer;
    try {
      answer = await client.request<ChunkAnswer>('POST', '/files/upload', {
        query: { root, path, offset, total },
        headers: { 'Content-Type': 'application/octet-stream' },
        rawBody: file.slice(offset, end),
        signal: options.signal,
      });
      failures = 0;
    } catch (e) {
      const received = e instanceof ApiError ? (e.body as { received?: unknown } | null)?.received : undefined;
      if (e instanceof ApiError && (e.status === 409 || e.status === 416) && typeof received === 'number' && received !== offset && received <= total) {
        offset = received;
        options.onProgress?.({ sent: offset, total });
        continue;
      }
      if (!retryable(e) || ++failures >= attempts) throw e;
      await sleep((options.retryDelayMs ?? 500) * 2 ** (failures - 1));
      continue;
    }
    const received = Number(answer?.received);
    if (!Number.isFinite(received) || received < 0 || received > total) throw new ApiError(200, 'The server answered an upload chunk with a bad "received"');
    offset = received;
    options.onProgress?.({ sent: offset, total });
    if (answer.complete || offset >= total) {
      if (!answer.complete) throw new ApiError(200, 'The server holds every byte but did not complete the upload');
      return { sent: offset, total };
    }
  }
  throw new ApiError(200, 'The upload made no progress');
}

// ---- archive, download, search ----

/** GET /files/archive: the address of a folder's `.tar.gz` (it needs the token: fetch it with `downloadEntry`). */
export function archiveUrl(client: ServerClient, root: string, path: string): string {
  return client.url('/files/archive', { root, path });
}

/** The file name a download of `path` saves as: its last segment, `.tar.gz` for a folder. */
export function downloadName(root: string, path: string, folder: boolean): string {
  const base = path.split('/').filter(Boolean).pop() ?? root.replace(/^[a-z]+:/, '').replace(/[^A-Za-z0-9._-]+/g, '_');
  return folder ? `${base || 'files'}.tar.gz` : base;
}

/** Fetches a file (or a folder's archive) with the token and returns the answer, whose body streams. */
export function fetchDownload(client: ServerClient, root: string, path: string, folder: boolean, signal?: AbortSignal): Promise<Response> {
  return client.requestRaw('GET', folder ? '/files/archive' : '/files/content', { query: { root, path }, signal });
}

export interface SearchMatch {
  path: string;
  line?: number;
  text?: string;
}

export interface SearchResult {
  matches: SearchMatch[];
  truncated: boolean;
}

/** GET /files/search: file names, and text in files under the server's size limit. */
export function searchFiles(client: ServerClient, root: string, q: string, path = '', limit?: number): Promise<SearchResult> {
  return client.get<SearchResult>('/files/search', { root, q, path: path || undefined, limit });
}
