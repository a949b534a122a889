import { errorMessage } from '../api/errors';
import type { UploadProgress } from '../api/files';

export type UploadState = 'queued' | 'sending' | 'done' | 'failed' | 'cancelled';

export interface UploadItem {
  id: number;
  /** Where the file goes in the root. */
  path: string;
  sent: number;
  total: number;
  state: UploadState;
  error: string;
}

/** Sends one file to `path`, reporting progress; rejects with an AbortError when `signal` aborts. */
export type UploadSender = (path: string, file: Blob, onProgress: (p: UploadProgress) => void, signal: AbortSignal) => Promise<unknown>;

/**
 * Files dropped or picked for upload, sent one after another (each resumable chunk by chunk, see
 * files.ts uploadFile); `onUploaded` is told each folder that gained a file.
 */
export class UploadQueue {
  items = $state<UploadItem[]>([]);
  private readonly files = new Map<number, Blob>();
  private readonly controllers = new Map<number, AbortController>();
  private nextId = 1;
  private running = false;

  constructor(
    private readonly send: UploadSender,
    private readonly onUploaded: (path: string) => void = () => {},
  ) {}

  /** Queues files into the folder `dir` ("" for the root) under their own names. */
  add(entries: { path: string; file: Blob }[]): void {
    for (const { path, file } of entries) {
      const id = this.nextId++;
      this.files.set(id, file);
      this.items.push({ id, path, sent: 0, total: file.size, state: 'queued', error: '' });
    }
    void this.run();
  }

  cancel(id: number): void {
    const item = this.items.find((i) => i.id === id);
    if (!item) return;
    if (item.state === 'queued') item.state = 'cancelled';
    this.controllers.get(id)?.abort();
  }

  /** Drops finished, failed and cancelled items from the list. */
  clearFinished(): void {
    this.items = this.items.filter((i) => i.state === 'queued' || i.state === 'sending');
  }

  get active(): boolean {
    return this.items.some((i) => i.state === 'queued' || i.state === 'sending');
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const item = this.items.find((i) => i.state === 'queued');
        if (!item) break;
        const file = this.files.get(item.id);
        if (!file) {
          item.state = 'failed';
          continue;
        }
        const controller = new AbortController();
        this.controllers.set(item.id, controller);
        item.state = 'sending';
        try {
          await this.send(item.path, file, (p) => (item.sent = p.sent), controller.signal);
          item.sent = item.total;
          item.state = 'done';
          this.onUploaded(item.path);
        } catch (e) {
          item.state = controller.signal.aborted ? 'cancelled' : 'failed';
          item.error = controller.signal.aborted ? '' : errorMessage(e);
        } finally {
          this.controllers.delete(item.id);
          this.files.delete(item.id);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
