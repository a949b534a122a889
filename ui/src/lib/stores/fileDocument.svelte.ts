import { ApiError, errorMessage } from '../api/errors';
import type { FileContent, SavePrecondition, SaveResult } from '../api/files';

/** The calls a document needs, bound to one server, root and path (files.ts's readFile and saveFile). */
export interface DocumentIo {
  read(): Promise<FileContent>;
  save(text: string, precondition: SavePrecondition): Promise<SaveResult>;
}

export type DocumentState = 'loading' | 'ready' | 'saving' | 'conflict' | 'error';

/** The version on the server when a save found the file changed: its text, or null when it was deleted. */
export interface Theirs {
  text: string | null;
  etag: string | null;
}

/**
 * One text file open for editing. It remembers the version it was read at (`etag`, `saved`); a save
 * sends `If-Match` with that version, so a file changed underneath (someone else saved, training
 * rewrote it) is never overwritten silently: the save ends in `conflict` with theirs fetched,
 * and the user keeps theirs (`takeTheirs`) or writes theirs over with theirs' version as the
 * precondition (`keepMine`). The editor holds the live text; `dirty` is the editor's to report.
 */
export class FileDocument {
  state = $state<DocumentState>('loading');
  error = $state('');
  /** The text as last read or saved. */
  saved = $state('');
  etag = $state<string | null>(null);
  readOnly = $state(false);
  theirs = $state<Theirs | null>(null);
  /** Bumped when `saved` is replaced by a text the editor must show (a load, theirs taken). */
  revision = $state(0);

  constructor(private readonly io: DocumentIo) {}

  async load(): Promise<void> {
    this.state = 'loading';
    try {
      const content = await this.io.read();
      this.saved = new TextDecoder().decode(content.bytes);
      this.etag = content.etag;
      this.readOnly = content.readOnly;
      this.theirs = null;
      this.state = 'ready';
      this.revision++;
    } catch (e) {
      this.error = errorMessage(e);
      this.state = 'error';
    }
  }

  /** Saves `text` over the version read; a changed file ends in `conflict` (theirs loaded). */
  async save(text: string): Promise<DocumentState> {
    if (this.readOnly || this.state === 'saving' || this.state === 'loading') return this.state;
    const precondition: SavePrecondition = this.etag ? { kind: 'overwrite', etag: this.etag } : { kind: 'create' };
    return this.write(text, precondition);
  }

  /** In a conflict: writes `text` over theirs (theirs' version as the precondition, or a create when theirs was deleted). */
  async keepMine(text: string): Promise<DocumentState> {
    if (!this.theirs) return this.state;
    const precondition: SavePrecondition = this.theirs.etag && this.theirs.text !== null ? { kind: 'overwrite', etag: this.theirs.etag } : { kind: 'create' };
    return this.write(text, precondition);
  }

  /** In a conflict: drops the user's text and takes theirs (the editor shows it at the next `revision`). */
  takeTheirs(): void {
    if (!this.theirs) return;
    this.saved = this.theirs.text ?? '';
    this.etag = this.theirs.text === null ? null : this.theirs.etag;
    this.theirs = null;
    this.state = 'ready';
    this.revision++;
  }

  private async write(text: string, precondition: SavePrecondition): Promise<DocumentState> {
    const before = this.state;
    this.state = 'saving';
    this.error = '';
    let result: SaveResult;
    try {
      result = await this.io.save(text, precondition);
    } catch (e) {
      this.error = errorMessage(e);
      this.state = before === 'conflict' ? 'conflict' : 'ready';
      return 'error';
    }
    if (result.kind === 'saved') {
      this.saved = text;
      this.etag = result.etag;
      this.theirs = null;
      this.state = 'ready';
      return 'ready';
    }
    await this.fetchTheirs(result.etag);
    this.state = 'conflict';
    return 'conflict';
  }

  private async fetchTheirs(etag: string | null): Promise<void> {
    try {
      const content = await this.io.read();
      this.theirs = { text: new TextDecoder().decode(content.bytes), etag: content.etag ?? etag };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) this.theirs = { text: null, etag: null };
      else {
        this.theirs = { text: null, etag };
        this.error = `The file changed on the server, and reading it failed: ${errorMessage(e)}`;
      }
    }
  }
}
