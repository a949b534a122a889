import { describe, expect, it } from 'vitest';
import { ServerClient } from './client';
import { ApiError } from './errors';
import { fakeFetch, type Call } from './fakes';
import {
  archiveUrl,
  createProject,
  downloadName,
  listAll,
  listProjects,
  parseContentRange,
  readFile,
  restoreEntry,
  saveFile,
  searchFiles,
  trashEntry,
  uploadFile,
  type FileEntry,
} from './files';

const q = (call: Call) => new URL(call.url).searchParams;
const path = (call: Call) => new URL(call.url).pathname;

function entries(n: number, prefix = 'f'): FileEntry[] {
  return Array.from({ length: n }, (_, i) => ({ name: `${prefix}${String(i).padStart(5, '0')}`, type: 'file', size: i, mtime: 0, hidden: false }));
}

describe('projects', () => {
  it('lists projects and creates one; a refused name is an ApiError with the server text', async () => {
    // Bad input: a project name with a slash (400) and one that exists (409).
    const fetch = fakeFetch((c) => {
      if (c.method === 'GET') return { body: { projects: [{ name: 'a', path: '/w/a', source: 'auto' }] } };
      const name = (c.body as { name: string }).name;
      if (name.includes('/')) return { status: 400, body: { error: 'a project name cannot contain /' } };
      if (name === 'a') return { status: 409, body: { error: 'project a exists' } };
      return { status: 201, body: { project: { name, path: `/w/${name}`, source: 'created' } } };
    });
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    expect((await listProjects(client)).map((p) => p.name)).toEqual(['a']);
    expect((await createProject(client, 'b')).source).toBe('created');
    await expect(createProject(client, 'x/y')).rejects.toMatchObject({ status: 400, message: 'a project name cannot contain /' });
    await expect(createProject(client, 'a')).rejects.toMatchObject({ status: 409 });
    expect(fetch.calls[1].body).toEqual({ name: 'b' });
  });
});

describe('listing', () => {
  it('pages a folder of 12,000 entries with offset until next_offset is null, each entry once', async () => {
    // Bad input: a client that stops after the first 5,000 or repeats a page boundary.
    const all = entries(12_000);
    const fetch = fakeFetch((c) => {
      const offset = Number(q(c).get('offset') ?? 0);
      const limit = Number(q(c).get('limit') ?? 5000);
      const page = all.slice(offset, offset + limit);
      const next = offset + limit < all.length ? offset + limit : null;
      return { body: { root: q(c).get('root'), path: q(c).get('path'), entries: page, total: all.length, next_offset: next } };
    });
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    const seen: number[] = [];
    const got = await listAll(client, 'project:p', 'data', (so_far) => seen.push(so_far.length));
    expect(got.length).toBe(12_000);
    expect(new Set(got.map((e) => e.name)).size).toBe(12_000);
    expect(seen).toEqual([5000, 10000, 12000]);
    expect(fetch.calls.map((c) => q(c).get('offset'))).toEqual([null, '5000', '10000']);
    expect(q(fetch.calls[0]).get('root')).toBe('project:p');
  });

  it('stops when a server repeats its next_offset instead of looping forever', async () => {
    // Bad input: a buggy server whose next_offset never advances.
    const fetch = fakeFetch(() => ({ body: { root: 'r', path: '', entries: entries(2), total: 9, next_offset: 0 } }));
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    const got = await listAll(client, 'run:x', '');
    expect(got.length).toBe(2);
    expect(fetch.calls.length).toBe(1);
  });
});

describe('content', () => {
  it('reads a range: sends Range, reads Content-Range, ETag and the read-only flag', async () => {
    // Bad input: bytes that are not UTF-8 must come back untouched; the size must come from the total, not the chunk.
    const bytes = new Uint8Array([0xff, 0x00, 0xe2, 0x96]);
    const fetch = fakeFetch(() => ({
      status: 206,
      raw: bytes,
      headers: { 'Content-Range': 'bytes 100-103/1073741824', ETag: '"abc"', 'X-AILab-Read-Only': '1', 'Content-Type': 'text/plain' },
    }));
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    const got = await readFile(client, 'job:3', 'train.py', { start: 100, end: 103 });
    expect(fetch.calls[0].headers.Range).toBe('bytes=100-103');
    expect([...got.bytes]).toEqual([...bytes]);
    expect(got).toMatchObject({ start: 100, size: 1073741824, etag: '"abc"', readOnly: true, contentType: 'text/plain' });
  });

  it('turns a 416 past the end into no bytes with the size, and a suffix range into bytes=-n', async () => {
    // Bad input: a tail poll at the end of the file (nothing new) must not be an error.
    const fetch = fakeFetch((c) =>
      c.headers.Range === 'bytes=500-'
        ? { status: 416, body: { error: 'range not satisfiable' }, headers: { 'Content-Range': 'bytes */500' } }
        : { status: 206, raw: 'tail', headers: { 'Content-Range': 'bytes 496-499/500' } },
    );
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    const end = await readFile(client, 'run:r', 'a.log', { start: 500 });
    expect(end.bytes.length).toBe(0);
    expect(end.size).toBe(500);
    const tail = await readFile(client, 'run:r', 'a.log', { start: -4 });
    expect(fetch.calls[1].headers.Range).toBe('bytes=-4');
    expect(tail.start).toBe(496);
  });

  it('parses Content-Range and refuses junk', () => {
    expect(parseContentRange('bytes 0-9/10')).toEqual({ start: 0, end: 9, total: 10 });
    expect(parseContentRange('bytes */77')).toEqual({ start: 0, end: -1, total: 77 });
    expect(parseContentRange('bytes 0-9/*')?.total).toBeNull();
    expect(parseContentRange('items 1-2/3')).toBeNull();
    expect(parseContentRange(null)).toBeNull();
  });
});

describe('saving', () => {
  it('overwrites with If-Match, creates with If-None-Match: *, and turns 412 into a conflict with the current etag', async () => {
    // Bad input: a save over a file that changed underneath (412) must not be reported as saved or thrown as an error.
    // As the real server: JSON answers carry the bare hex, If-Match the quoted header form.
    let current = 'v1';
    const fetch = fakeFetch((c) => {
      const match = c.headers['If-Match'];
      if (c.headers['If-None-Match'] === '*') return { status: 412, body: { error: 'exists', etag: current } };
      if (match !== `"${current}"`) return { status: 412, body: { error: 'the file changed', etag: current } };
      current = 'v2';
      return { body: { etag: current, size: 5 } };
    });
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    expect(await saveFile(client, 'project:p', 'a.py', 'hello', { kind: 'overwrite', etag: '"v1"' })).toEqual({ kind: 'saved', etag: '"v2"', size: 5 });
    expect(await saveFile(client, 'project:p', 'a.py', 'again', { kind: 'overwrite', etag: '"v1"' })).toEqual({
      kind: 'conflict',
      etag: '"v2"',
      message: 'the file changed',
    });
    expect((await saveFile(client, 'project:p', 'a.py', 'x', { kind: 'create' })).kind).toBe('conflict');
    expect(fetch.calls[0].method).toBe('PUT');
    expect(fetch.calls[2].headers['If-Match']).toBeUndefined();
    const sent = fetch.calls[0].rawBody as Blob;
    expect(await sent.text()).toBe('hello');
  });

  it('throws other refusals (403 read-only snapshot, 428 no precondition)', async () => {
    const fetch = fakeFetch(() => ({ status: 403, body: { error: 'a job snapshot is read-only' } }));
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    await expect(saveFile(client, 'job:1', 'a.py', 'x', { kind: 'overwrite', etag: '"e"' })).rejects.toBeInstanceOf(ApiError);
  });
});

describe('upload', () => {
  /** A server that keeps the received bytes; `drop` lists calls (1-based) that fail as a dropped connection. */
  function uploadServer(total: number, drop: number[] = [], lie: { call: number; received: number } | null = null) {
    let received = 0;
    let n = 0;
    const fetch = fakeFetch((c) => {
      n++;
      if (drop.includes(n)) throw new TypeError('connection reset');
      const offset = Number(q(c).get('offset'));
      if (lie && lie.call === n) return { status: 409, body: { error: 'offset mismatch', received: lie.received } };
      if (offset !== received) return { status: 409, body: { error: 'offset mismatch', received } };
      const size = (c.rawBody as Blob).size;
      received += size;
      return { body: { received, complete: received === total } };
    });
    return { fetch, received: () => received };
  }

  it('sends chunks with offset and total, reports progress, and completes', async () => {
    // Bad input: a file that is not a whole number of chunks (the last chunk is short).
    const server = uploadServer(10);
    const client = new ServerClient('http://h:1', { fetch: server.fetch, token: 't' });
    const progress: number[] = [];
    const done = await uploadFile(client, 'project:p', 'd/x.bin', new Blob(['0123456789']), { chunkBytes: 4, onProgress: (p) => progress.push(p.sent) });
    expect(done).toEqual({ sent: 10, total: 10 });
    expect(progress).toEqual([0, 4, 8, 10]);
    expect(server.fetch.calls.map((c) => q(c).get('offset'))).toEqual(['0', '4', '8']);
    expect(q(server.fetch.calls[0]).get('total')).toBe('10');
    expect(path(server.fetch.calls[0])).toBe('/api/v1/files/upload');
  });

  it('retries a dropped chunk and resumes where the server says it is', async () => {
    // Bad input: a connection that drops on the second chunk, and a server that holds more than the client thought.
    const server = uploadServer(12, [2], { call: 4, received: 12 });
    const client = new ServerClient('http://h:1', { fetch: server.fetch, token: 't' });
    // The 409 (received 12 while it holds 8) sends the client to offset 12, where the server's next 409 sets it back at 8.
    expect(await uploadFile(client, 'project:p', 'x', new Blob(['abcdefghijkl']), { chunkBytes: 4, retryDelayMs: 1 })).toEqual({ sent: 12, total: 12 });
    expect(server.received()).toBe(12);
    expect(server.fetch.calls.map((c) => q(c).get('offset'))).toEqual(['0', '4', '4', '8', '12', '8']);
    const honest = uploadServer(12, [2]);
    const client2 = new ServerClient('http://h:1', { fetch: honest.fetch, token: 't' });
    const done = await uploadFile(client2, 'project:p', 'x', new Blob(['abcdefghijkl']), { chunkBytes: 4, retryDelayMs: 1 });
    expect(done.sent).toBe(12);
    expect(honest.received()).toBe(12);
    expect(honest.fetch.calls.map((c) => q(c).get('offset'))).toEqual(['0', '4', '4', '8']);
  });

  it('gives up after its attempts and does not retry a 413', async () => {
    // Bad input: a file over the server's upload limit.
    const fetch = fakeFetch(() => ({ status: 413, body: { error: 'over files_max_upload_mib' } }));
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    await expect(uploadFile(client, 'project:p', 'x', new Blob(['abc']), { retryDelayMs: 1 })).rejects.toMatchObject({ status: 413 });
    expect(fetch.calls.length).toBe(1);
  });
});

describe('the rest', () => {
  it('trash returns the trash path that restore takes; search and archive carry root and path', async () => {
    const fetch = fakeFetch((c) => {
      if (path(c) === '/api/v1/files/trash') return { body: { trash_path: '.ailab-trash/2026-11-27/a.py' } };
      if (path(c) === '/api/v1/files/restore') return { body: { path: 'a.py' } };
      return { body: { matches: [{ path: 'a.py', line: 3, text: 'import torch' }], truncated: false } };
    });
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    const trashPath = await trashEntry(client, 'project:p', 'a.py');
    expect(await restoreEntry(client, 'project:p', trashPath)).toBe('a.py');
    expect(fetch.calls[1].body).toEqual({ root: 'project:p', trash_path: '.ailab-trash/2026-11-27/a.py' });
    const found = await searchFiles(client, 'project:p', 'torch');
    expect(found.matches[0].line).toBe(3);
    expect(fetch.calls[2].url).toBe('http://h:1/api/v1/files/search?root=project%3Ap&q=torch');
    expect(archiveUrl(client, 'run:abc', 'samples')).toBe('http://h:1/api/v1/files/archive?root=run%3Aabc&path=samples');
    expect(downloadName('run:abc', 'samples', true)).toBe('samples.tar.gz');
    expect(downloadName('project:my proj', '', true)).toBe('my_proj.tar.gz');
    expect(downloadName('run:abc', 'a/b.png', false)).toBe('b.png');
  });
});
