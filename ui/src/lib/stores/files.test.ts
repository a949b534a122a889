import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors';
import type { FileContent, FileEntry, SavePrecondition, SaveResult } from '../api/files';
import { FileDocument } from './fileDocument.svelte';
import { FileTreeStore, type FolderLister } from './fileTree.svelte';
import { UploadQueue } from './uploads.svelte';

const file = (name: string, extra: Partial<FileEntry> = {}): FileEntry => ({ name, type: 'file', size: 1, mtime: 0, hidden: false, ...extra });
const dir = (name: string, extra: Partial<FileEntry> = {}): FileEntry => file(name, { type: 'dir', ...extra });

/** A lister over a fixed tree (folder path → entries) that records what it listed, in pages of `page`. */
function treeLister(tree: Record<string, FileEntry[]>, page = Infinity): FolderLister & { listed: string[] } {
  const listed: string[] = [];
  const fn = (async (path: string, onPage: (e: FileEntry[]) => void) => {
    listed.push(path);
    const all = tree[path];
    if (!all) throw new ApiError(404, `no folder ${path}`);
    for (let i = page; i < all.length; i += page) onPage(all.slice(0, i));
    onPage(all);
    return all;
  }) as FolderLister & { listed: string[] };
  fn.listed = listed;
  return fn;
}

describe('FileTreeStore', () => {
  it('lists a folder only when opened, flattens open folders depth first, hides hidden entries', async () => {
    // Bad input: a folder opened twice (listed once), a hidden file (not shown until asked).
    const lister = treeLister({
      '': [dir('src'), dir('data'), file('.env', { hidden: true }), file('README.md')],
      src: [dir('models'), file('train.py')],
      'src/models': [file('net.py')],
    });
    const tree = new FileTreeStore(lister);
    await tree.load('');
    expect(tree.rows().map((r) => r.path)).toEqual(['src', 'data', 'README.md']);
    await tree.expand('src');
    await tree.expand('src');
    await tree.expand('src/models');
    expect(tree.rows().map((r) => `${r.depth}:${r.path}`)).toEqual(['0:src', '1:src/models', '2:src/models/net.py', '1:src/train.py', '0:data', '0:README.md']);
    expect(lister.listed).toEqual(['', 'src', 'src/models']);
    tree.collapse('src');
    expect(tree.rows().length).toBe(3);
    tree.setShowHidden(true);
    expect(tree.rows().map((r) => r.path)).toContain('.env');
    expect(tree.entry('src/models/net.py')?.type).toBe('file');
  });

  it('paints 10,000 entries from the first page and caches the rows until a change', async () => {
    // Bad input: a folder of 10,000 entries in pages; rows() must not rebuild on every call.
    const many = Array.from({ length: 10_000 }, (_, i) => file(`f${i}`));
    let secondPage: () => void = () => {};
    const tree = new FileTreeStore(async (_path, onPage) => {
      onPage(many.slice(0, 5000));
      await new Promise<void>((r) => (secondPage = r));
      return many;
    });
    const p = tree.load('');
    await Promise.resolve();
    expect(tree.rows().length).toBe(5000);
    expect(tree.folder('')?.loading).toBe(true);
    secondPage();
    await p;
    const rows = tree.rows();
    expect(rows.length).toBe(10_000);
    expect(tree.rows()).toBe(rows);
    expect(tree.folder('')?.complete).toBe(true);
    const started = performance.now();
    tree.setShowHidden(true);
    expect(tree.rows().length).toBe(10_000);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('reveals a deep path, keeps open folders across a refresh, and records a listing error', async () => {
    // Bad input: a folder that vanished (404 on listing) must show its error, not throw.
    const data: Record<string, FileEntry[]> = { '': [dir('a')], a: [dir('b')], 'a/b': [file('c.txt')] };
    const tree = new FileTreeStore(treeLister(data));
    await tree.reveal('a/b/c.txt');
    expect(tree.isExpanded('a')).toBe(true);
    expect(tree.isExpanded('a/b')).toBe(true);
    data['a/b'] = [file('c.txt'), file('d.txt')];
    await tree.refresh();
    expect(tree.rows().map((r) => r.path)).toEqual(['a', 'a/b', 'a/b/c.txt', 'a/b/d.txt']);
    delete data['a/b'];
    await tree.refresh('a');
    expect(tree.folder('a/b')?.error).toBe('no folder a/b');
  });
});

/** A file on a fake server: a version counter as the ETag, saves checked like PUT /files/content. */
function fakeFile(initial: string | null) {
  let text = initial;
  let version = 1;
  const saves: SavePrecondition[] = [];
  const io = {
    async read(): Promise<FileContent> {
      if (text === null) throw new ApiError(404, 'no such file');
      return { bytes: new TextEncoder().encode(text), etag: `"v${version}"`, contentType: 'text/plain', start: 0, size: text.length, readOnly: false };
    },
    async save(next: string, pre: SavePrecondition): Promise<SaveResult> {
      saves.push(pre);
      const current = text === null ? null : `"v${version}"`;
      const ok = pre.kind === 'create' ? current === null : pre.etag === current;
      if (!ok) return { kind: 'conflict', etag: current, message: 'changed' };
      text = next;
      version++;
      return { kind: 'saved', etag: `"v${version}"`, size: next.length };
    },
  };
  return {
    io,
    saves,
    text: () => text,
    /** Someone else writes the file (another tab, the training job). */
    writeBehind: (t: string | null) => {
      text = t;
      version++;
    },
  };
}

describe('FileDocument', () => {
  it('saves with the version it read, and the next save with the new version', async () => {
    const f = fakeFile('a = 1\n');
    const doc = new FileDocument(f.io);
    await doc.load();
    expect(doc.saved).toBe('a = 1\n');
    expect(await doc.save('a = 2\n')).toBe('ready');
    expect(await doc.save('a = 3\n')).toBe('ready');
    expect(f.saves).toEqual([
      { kind: 'overwrite', etag: '"v1"' },
      { kind: 'overwrite', etag: '"v2"' },
    ]);
    expect(f.text()).toBe('a = 3\n');
  });

  it('never overwrites a file changed underneath: a conflict with theirs, resolved by keeping mine', async () => {
    // Bad input: the file changed between read and save (the lost-update case).
    const f = fakeFile('lr = 0.1\n');
    const doc = new FileDocument(f.io);
    await doc.load();
    f.writeBehind('lr = 0.5\n');
    expect(await doc.save('lr = 0.01\n')).toBe('conflict');
    expect(f.text()).toBe('lr = 0.5\n');
    expect(doc.theirs).toEqual({ text: 'lr = 0.5\n', etag: '"v2"' });
    expect(await doc.keepMine('lr = 0.01\n')).toBe('ready');
    expect(f.text()).toBe('lr = 0.01\n');
    expect(doc.etag).toBe('"v3"');
    expect(doc.theirs).toBeNull();
  });

  it('takes theirs, and handles a file deleted underneath by creating it again', async () => {
    // Bad input: the file was deleted while open (its save is a create, not an overwrite of nothing).
    const f = fakeFile('x\n');
    const doc = new FileDocument(f.io);
    await doc.load();
    f.writeBehind('theirs\n');
    await doc.save('mine\n');
    const revision = doc.revision;
    doc.takeTheirs();
    expect(doc.saved).toBe('theirs\n');
    expect(doc.revision).toBe(revision + 1);
    expect(doc.state).toBe('ready');
    f.writeBehind(null);
    expect(await doc.save('mine again\n')).toBe('conflict');
    expect(doc.theirs).toEqual({ text: null, etag: null });
    expect(await doc.keepMine('mine again\n')).toBe('ready');
    expect(f.saves.at(-1)).toEqual({ kind: 'create' });
    expect(f.text()).toBe('mine again\n');
  });

  it('refuses to save a read-only file and keeps a failed save in the editor', async () => {
    const f = fakeFile('code\n');
    const doc = new FileDocument({
      read: async () => ({ ...(await f.io.read()), readOnly: true }),
      save: f.io.save,
    });
    await doc.load();
    expect(doc.readOnly).toBe(true);
    await doc.save('changed');
    expect(f.saves.length).toBe(0);
    const failing = new FileDocument({ read: f.io.read, save: async () => Promise.reject(new ApiError(507, 'disk full')) });
    await failing.load();
    expect(await failing.save('new')).toBe('error');
    expect(failing.error).toBe('disk full');
    expect(failing.saved).toBe('code\n');
    expect(failing.state).toBe('ready');
  });
});

describe('UploadQueue', () => {
  it('sends files one after another with progress, tells each finished path, and records a failure', async () => {
    // Bad input: a file the server refuses (413) must fail alone, the next file still goes.
    const order: string[] = [];
    const done: string[] = [];
    const queue = new UploadQueue(async (path, file, onProgress) => {
      order.push(`start ${path}`);
      if (path.endsWith('big.bin')) throw new ApiError(413, 'over files_max_upload_mib');
      onProgress({ sent: file.size / 2, total: file.size });
      await Promise.resolve();
      order.push(`end ${path}`);
    }, (p) => done.push(p));
    queue.add([
      { path: 'd/a.txt', file: new Blob(['aaaa']) },
      { path: 'd/big.bin', file: new Blob(['b']) },
      { path: 'd/c.txt', file: new Blob(['cc']) },
    ]);
    await vi.waitFor(() => expect(queue.active).toBe(false));
    expect(order).toEqual(['start d/a.txt', 'end d/a.txt', 'start d/big.bin', 'start d/c.txt', 'end d/c.txt']);
    expect(done).toEqual(['d/a.txt', 'd/c.txt']);
    expect(queue.items.map((i) => i.state)).toEqual(['done', 'failed', 'done']);
    expect(queue.items[1].error).toBe('over files_max_upload_mib');
    expect(queue.items[0].sent).toBe(4);
    queue.clearFinished();
    expect(queue.items).toEqual([]);
  });

  it('cancels a queued file before it starts and aborts the one being sent', async () => {
    let release: () => void = () => {};
    const queue = new UploadQueue(
      (_path, _file, _progress, signal) =>
        new Promise((resolve, reject) => {
          release = () => resolve(undefined);
          signal.addEventListener('abort', () => reject(new DOMException('cancelled', 'AbortError')));
        }),
    );
    queue.add([
      { path: 'a', file: new Blob(['1']) },
      { path: 'b', file: new Blob(['2']) },
    ]);
    await Promise.resolve();
    queue.cancel(queue.items[1].id);
    queue.cancel(queue.items[0].id);
    await vi.waitFor(() => expect(queue.active).toBe(false));
    expect(queue.items.map((i) => i.state)).toEqual(['cancelled', 'cancelled']);
    release();
  });
});
