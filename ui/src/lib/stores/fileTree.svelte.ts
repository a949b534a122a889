import { errorMessage } from '../api/errors';
import type { FileEntry } from '../api/files';
import { ancestors, joinPath, parentPath } from '../files/paths';

/** One visible row of the tree. */
export interface TreeRow {
  path: string;
  depth: number;
  entry: FileEntry;
  /** A folder (or a link to one) that is open. */
  expanded: boolean;
  /** A folder whose listing is loading. */
  loading: boolean;
}

export interface FolderState {
  /** Null until the first page arrived. */
  entries: FileEntry[] | null;
  loading: boolean;
  /** Every page is in. */
  complete: boolean;
  error: string | null;
}

/** Lists a folder, whole; calls `onPage` with the entries so far after each page. */
export type FolderLister = (path: string, onPage: (entries: FileEntry[]) => void) => Promise<FileEntry[]>;

export function isFolder(entry: FileEntry): boolean {
  return entry.type === 'dir' || (entry.type === 'symlink' && entry.target_type === 'dir');
}

interface Folder extends FolderState {
  /** Bumped by every load, so an older load's answer is dropped. */
  generation: number;
  /** name → entry, for `entry()`. */
  index: Map<string, FileEntry> | null;
}

/**
 * The lazy tree of one root: a folder is listed when it is first opened (its first page painted
 * while later pages load), open folders stay open across reloads, and `rows()` flattens what is
 * visible into one array for a virtualised list (cached until the next change). Hidden entries
 * are left out unless `showHidden`. `version` changes on every mutation.
 */
export class FileTreeStore {
  version = $state(0);
  showHidden = $state(false);
  private readonly folders = new Map<string, Folder>();
  private readonly expanded = new Set<string>();
  private cachedRows: TreeRow[] | null = null;

  constructor(private readonly lister: FolderLister) {}

  private bump(): void {
    this.cachedRows = null;
    this.version++;
  }

  folder(path: string): FolderState | undefined {
    return this.folders.get(path);
  }

  /** The entry at `path`, if its folder is loaded. */
  entry(path: string): FileEntry | undefined {
    const parent = this.folders.get(parentPath(path));
    if (!parent?.entries) return undefined;
    if (!parent.index) parent.index = new Map(parent.entries.map((e) => [e.name, e]));
    return parent.index.get(path.slice(path.lastIndexOf('/') + 1));
  }

  isExpanded(path: string): boolean {
    return this.expanded.has(path);
  }

  /** Lists `path` (again, when `force` or never loaded). */
  async load(path: string, force = false): Promise<void> {
    let f = this.folders.get(path);
    if (f && !force && (f.loading || f.entries !== null)) return;
    if (!f) {
      f = { entries: null, loading: false, complete: false, error: null, generation: 0, index: null };
      this.folders.set(path, f);
    }
    const folder = f;
    const generation = ++folder.generation;
    folder.loading = true;
    folder.error = null;
    this.bump();
    try {
      const all = await this.lister(path, (entries) => {
        if (folder.generation !== generation || this.folders.get(path) !== folder) return;
        folder.entries = entries;
        folder.index = null;
        this.bump();
      });
      if (folder.generation !== generation || this.folders.get(path) !== folder) return;
      folder.entries = all;
      folder.index = null;
      folder.complete = true;
    } catch (e) {
      if (folder.generation !== generation || this.folders.get(path) !== folder) return;
      folder.error = errorMessage(e);
    }
    folder.loading = false;
    this.bump();
  }

  /** Opens a folder (listing it the first time). */
  async expand(path: string): Promise<void> {
    this.expanded.add(path);
    this.bump();
    await this.load(path);
  }

  collapse(path: string): void {
    if (this.expanded.delete(path)) this.bump();
  }

  async toggle(path: string): Promise<void> {
    if (this.expanded.has(path)) this.collapse(path);
    else await this.expand(path);
  }

  /** Opens every folder above `path` (and `path` itself when `self`), loading them in order. */
  async reveal(path: string, self = false): Promise<void> {
    await this.load('');
    const chain = ancestors(path);
    if (!self) chain.pop();
    for (const dir of chain) await this.expand(dir);
  }

  /** Lists again every loaded folder at or under `path` that is still shown (after a change). */
  async refresh(path = ''): Promise<void> {
    const loaded = [...this.folders.keys()].filter((p) => p === path || path === '' || p.startsWith(`${path}/`));
    // Folders that are neither open, the root nor `path` itself are forgotten, and listed again when opened.
    for (const p of loaded) if (p !== '' && p !== path && !this.expanded.has(p)) this.folders.delete(p);
    await Promise.all(loaded.filter((p) => this.folders.has(p)).map((p) => this.load(p, true)));
  }

  setShowHidden(show: boolean): void {
    this.showHidden = show;
    this.bump();
  }

  /** The visible rows, depth first; children of an open folder follow it. */
  rows(): TreeRow[] {
    void this.version;
    if (this.cachedRows) return this.cachedRows;
    const rows: TreeRow[] = [];
    const walk = (dir: string, depth: number) => {
      const entries = this.folders.get(dir)?.entries;
      if (!entries) return;
      for (const entry of entries) {
        if (entry.hidden && !this.showHidden) continue;
        const path = joinPath(dir, entry.name);
        const open = isFolder(entry) && this.expanded.has(path);
        rows.push({ path, depth, entry, expanded: open, loading: open && (this.folders.get(path)?.loading ?? false) });
        if (open) walk(path, depth + 1);
      }
    };
    walk('', 0);
    this.cachedRows = rows;
    return rows;
  }
}
