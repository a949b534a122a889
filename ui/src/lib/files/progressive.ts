// A text file read by ranges: the first screen of a huge file without loading it all, more as the
// reader scrolls, and a log's new bytes polled from its end (tail -f over HTTP Range).
import type { ByteRange } from '../api/files';

/** What a range read gives: the bytes, where they start in the file, and the file's size now. */
export interface RangeChunk {
  bytes: Uint8Array;
  start: number;
  size: number;
}

export type RangeReader = (range: ByteRange) => Promise<RangeChunk>;

/** Lines from UTF-8 bytes that arrive in pieces: a character or a line cut at a piece's end is completed by the next. */
export class LineBuffer {
  /** Complete lines, without their `\n` (and `\r`). */
  readonly lines: string[] = [];
  /** The text after the last `\n`. */
  partial = '';
  /** Lines dropped from the front (`trimTo`). */
  dropped = 0;
  private decoder = new TextDecoder('utf-8');

  push(bytes: Uint8Array): void {
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  /** Lines shown: the complete ones and the partial last one. */
  get count(): number {
    return this.lines.length + (this.partial === '' ? 0 : 1);
  }

  line(index: number): string {
    return index < this.lines.length ? this.lines[index] : this.partial;
  }

  /** Keeps the last `max` complete lines. */
  trimTo(max: number): void {
    const extra = this.lines.length - max;
    if (extra > 0) {
      this.lines.splice(0, extra);
      this.dropped += extra;
    }
  }
}

export interface ProgressiveOptions {
  /** Bytes per range read (default 256 KiB). */
  chunkBytes?: number;
  /** Bytes held at most when reading on from the start (default 64 MiB): past it, `more` stops and `capped` is set. */
  maxBytes?: number;
  /** Lines kept while following (default 100,000): older ones are dropped. */
  maxFollowLines?: number;
}

export type PollResult = 'grew' | 'same' | 'truncated';

/** One text file's ranges, read from its start (`openHead` + `more`) or its end (`openTail` + `poll`). */
export class ProgressiveText {
  buffer = new LineBuffer();
  /** File offset of the first byte held. */
  start = 0;
  /** File offset of the next byte to read. */
  next = 0;
  /** The file's size at the last read. */
  size = 0;
  capped = false;
  private readonly chunkBytes: number;
  private readonly maxBytes: number;
  private readonly maxFollowLines: number;

  constructor(
    private readonly read: RangeReader,
    options: ProgressiveOptions = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxFollowLines = options.maxFollowLines ?? 100_000;
  }

  /** Whether every byte up to the last known size is held. */
  get atEnd(): boolean {
    return this.next >= this.size;
  }

  private reset(start: number): void {
    this.buffer = new LineBuffer();
    this.start = start;
    this.next = start;
    this.capped = false;
  }

  /** Reads the first chunk. */
  async openHead(): Promise<void> {
    this.reset(0);
    const chunk = await this.read({ start: 0, end: this.chunkBytes - 1 });
    this.take(chunk);
  }

  /** Reads the last `tailBytes`; a line cut at their start is left out. */
  async openTail(tailBytes = this.chunkBytes): Promise<void> {
    const chunk = await this.read({ start: -tailBytes });
    this.reset(chunk.start);
    let bytes = chunk.bytes;
    if (chunk.start > 0) {
      const newline = bytes.indexOf(0x0a);
      bytes = newline < 0 ? new Uint8Array(0) : bytes.subarray(newline + 1);
      this.start = this.next = chunk.start + (newline < 0 ? chunk.bytes.length : newline + 1);
    }
    this.take({ ...chunk, bytes, start: this.next });
  }

  /** Reads the next chunk after what is held; false when at the end or capped. */
  async more(): Promise<boolean> {
    if (this.atEnd) return false;
    if (this.next - this.start >= this.maxBytes) {
      this.capped = true;
      return false;
    }
    const chunk = await this.read({ start: this.next, end: this.next + this.chunkBytes - 1 });
    if (chunk.start !== this.next) throw new Error(`The server answered bytes from ${chunk.start}, not ${this.next}`);
    this.take(chunk);
    return chunk.bytes.length > 0;
  }

  /**
   * Reads what was appended since the last read (a few chunks at most per call). 'truncated':
   * the file is now shorter than what was read (rewritten or rotated); open it again.
   */
  async poll(maxChunks = 8): Promise<PollResult> {
    let grew = false;
    for (let i = 0; i < maxChunks; i++) {
      // The range starts one byte early, so a file that has not grown still answers 206 (one
      // byte) instead of a 416 that browsers log as a failed load once a second.
      const overlap = this.next > 0 ? 1 : 0;
      const chunk = await this.read({ start: this.next - overlap, end: this.next + this.chunkBytes - 1 });
      if (chunk.size < this.next) {
        this.size = chunk.size;
        return 'truncated';
      }
      if (chunk.bytes.length > 0 && chunk.start !== this.next - overlap) throw new Error(`The server answered bytes from ${chunk.start}, not ${this.next - overlap}`);
      const fresh = chunk.bytes.subarray(chunk.bytes.length > 0 ? overlap : 0);
      if (fresh.length === 0) {
        this.size = chunk.size;
        break;
      }
      this.take({ ...chunk, bytes: fresh, start: this.next });
      this.buffer.trimTo(this.maxFollowLines);
      grew = true;
      if (this.atEnd) break;
    }
    return grew ? 'grew' : 'same';
  }

  private take(chunk: RangeChunk): void {
    this.buffer.push(chunk.bytes);
    this.next += chunk.bytes.length;
    this.size = Math.max(chunk.size, this.next);
  }
}
