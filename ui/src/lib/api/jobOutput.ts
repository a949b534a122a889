// A job's live output over its own WebSocket (`/api/v1/jobs/{id}/output/ws`, docs/API.md "Output
// stream"): authenticate, resume at the bytes already held, take binary frames in order, stop at
// the `end` text frame; after a dropped connection, resume at exactly the bytes held.
import type { OutputEnd } from './types';
import { backoffDelay, CLOSE_AUTH, detachAndClose, type SocketLike } from './ws';

/** The browser WebSocket as this stream uses it: binary frames arrive as ArrayBuffers. */
export interface OutputSocketLike extends SocketLike {
  binaryType: string;
}

export type OutputSocketFactory = (url: string) => OutputSocketLike;

/**
 * connecting: opening or authenticating; streaming: resumed, bytes flow; reconnecting: dropped,
 * waits to open again; ended: the job ended and every byte arrived; failed: the server refused
 * (unknown job, bad token, bad resume), `detail` says why; stopped: the owner stopped it.
 */
export type OutputStreamState = 'connecting' | 'streaming' | 'reconnecting' | 'ended' | 'failed' | 'stopped';

export interface OutputHandlers {
  /** The next bytes of the output, in order; `offset` is where they start (the bytes held before). */
  onData(bytes: Uint8Array, offset: number): void;
  /** Once, after the last byte: the job has ended. */
  onEnd?(end: OutputEnd): void;
  onState?(state: OutputStreamState, detail: string | null): void;
}

export interface OutputStreamOptions {
  /** Bytes the caller already holds (the stream resumes there). Default 0: the whole output. */
  offset?: number;
  factory?: OutputSocketFactory;
  /** Delay before reconnect attempt n (tests shorten it). */
  backoff?: (attempt: number) => number;
}

/** The output stream's address for a server's base URL ("http://h:1") and a job id. */
export function outputWsUrl(base: string, jobId: number): string {
  return `${base.replace(/^http/, 'ws')}/api/v1/jobs/${encodeURIComponent(jobId)}/output/ws`;
}

function browserSocket(url: string): OutputSocketLike {
  return new WebSocket(url) as unknown as OutputSocketLike;
}

/** The bytes of a binary frame (ArrayBuffer or a typed array view); null for anything else. */
function frameBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

/**
 * One job's output stream. `offset` always equals the bytes handed to `onData`; each (re)connect
 * resumes there, and frames of a socket that was replaced are dropped, so the caller sees every
 * byte once and in order. Single-threaded like the page: call from the UI thread only.
 */
export class JobOutputStream {
  private socket: OutputSocketLike | null = null;
  private received: number;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private current: OutputStreamState = 'stopped';
  private running = false;
  private readonly factory: OutputSocketFactory;
  private readonly backoff: (attempt: number) => number;

  constructor(
    private readonly base: string,
    private readonly token: () => string | null,
    readonly jobId: number,
    private readonly handlers: OutputHandlers,
    options: OutputStreamOptions = {},
  ) {
    this.received = Math.max(0, options.offset ?? 0);
    this.factory = options.factory ?? browserSocket;
    this.backoff = options.backoff ?? ((n) => backoffDelay(n));
  }

  /** The bytes received so far (where the next connection resumes). */
  get offset(): number {
    return this.received;
  }

  get state(): OutputStreamState {
    return this.current;
  }

  start(): void {
    if (this.running || this.current === 'ended') return;
    this.running = true;
    this.attempt = 0;
    this.open();
  }

  /** Closes the socket; nothing more is delivered. `start()` resumes at `offset`. */
  stop(): void {
    this.running = false;
    this.drop();
    if (this.current !== 'ended' && this.current !== 'failed') this.setState('stopped', null);
  }

  private setState(state: OutputStreamState, detail: string | null): void {
    if (state === this.current && detail === null) return;
    this.current = state;
    this.handlers.onState?.(state, detail);
  }

  private drop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) detachAndClose(socket);
  }

  private open(): void {
    const token = this.token();
    if (!token) {
      this.fail('Not logged in to this server.');
      return;
    }
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting', null);
    let socket: OutputSocketLike;
    try {
      socket = this.factory(outputWsUrl(this.base, this.jobId));
    } catch {
      this.retry();
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    let resumed = false;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token }));
    socket.onerror = () => {
      /* a close event follows */
    };
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return;
      if (typeof ev.data !== 'string') {
        const bytes = frameBytes(ev.data);
        if (!resumed || !bytes || bytes.length === 0) return;
        const at = this.received;
        this.received += bytes.length;
        this.handlers.onData(bytes, at);
        return;
      }
      let msg: { type?: unknown } & Record<string, unknown>;
      try {
        msg = JSON.parse(ev.data) as typeof msg;
      } catch {
        return;
      }
      if (msg.type === 'auth.ok') {
        resumed = true;
        this.attempt = 0;
        socket.send(JSON.stringify({ type: 'resume', offset: this.received }));
        this.setState('streaming', null);
      } else if (msg.type === 'end') {
        this.running = false;
        this.drop();
        this.setState('ended', null);
        this.handlers.onEnd?.(msg as unknown as OutputEnd);
      }
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (ev.code === CLOSE_AUTH) this.fail(ev.reason || 'The server did not accept the token; log in again.');
      else if (ev.code === 4404) this.fail(ev.reason || 'The server does not know this job.');
      else if (ev.code >= 4400 && ev.code < 4500) this.fail(ev.reason || `The server refused the stream (${ev.code}).`);
      else this.retry();
    };
  }

  private fail(detail: string): void {
    this.running = false;
    this.drop();
    this.setState('failed', detail);
  }

  private retry(): void {
    if (!this.running) return;
    this.setState('reconnecting', null);
    const delay = this.backoff(this.attempt++);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) this.open();
    }, delay);
  }
}
