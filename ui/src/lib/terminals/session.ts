// One terminal's socket (docs/API.md "GET /api/v1/terminals/{id}/ws"), as a small state machine:
// authenticate with the first message, attach with the size and the stream offset the screen
// already holds, hand output on in order, acknowledge what the screen consumed, and after a dropped
// connection re-attach at that offset with back-off, so the screen stays as it was. Input is sent
// only while attached: `input()` says false otherwise, and the caller shows the refusal.
import { terminalWsUrl, type TerminalExit } from '../api/terminals';
import { backoffDelay, CLOSE_AUTH, detachAndClose, type SocketLike } from '../api/ws';
import { decodeServerFrame, decodeTextMessage, encodeAck, encodeInput, encodeResize, messageBytes } from './codec';

/** The browser WebSocket as a session uses it: binary frames out, ArrayBuffers in. */
export interface TerminalSocketLike extends Omit<SocketLike, 'send'> {
  binaryType: string;
  send(data: string | Uint8Array): void;
}

export type TerminalSocketFactory = (url: string) => TerminalSocketLike;

/**
 * connecting: the first connection opens or authenticates; attached: output flows and input is
 * taken; reconnecting: the connection dropped, a new one is being made (input is refused);
 * exited: the program ended (its exit frame arrived; the screen stays, input is refused);
 * gone: the server no longer knows the terminal (closed, culled); failed: the server refused
 * (bad token, bad frame), `detail` says why; stopped: the owner stopped the session.
 */
export type SessionState = 'connecting' | 'attached' | 'reconnecting' | 'exited' | 'gone' | 'failed' | 'stopped';

export interface SessionHandlers {
  /**
   * The replay that follows does not continue what the screen shows (a first attach, or the
   * server no longer holds the bytes after the screen's offset): clear the screen, then write
   * `restore` (the modes in force where the replay starts) before the output.
   */
  onReset(restore: string): void;
  /** The next output bytes, in order. Call `consumed()` once they are written to the screen. */
  onOutput(bytes: Uint8Array, consumed: () => void): void;
  onTitle?(title: string): void;
  onExit?(exit: TerminalExit): void;
  onState?(state: SessionState, detail: string | null): void;
}

export interface SessionOptions {
  factory?: TerminalSocketFactory;
  /** Delay before reconnect attempt n (tests shorten it). */
  backoff?: (attempt: number) => number;
  /** A connection that is not attached after this long is dropped and made again. */
  attachTimeoutMs?: number;
  /** Consumed bytes are acknowledged at once past this many, else after `ackDelayMs`. */
  ackEvery?: number;
  ackDelayMs?: number;
}

/** The server asks for an acknowledgement at least every 256 KiB; this stays well under it. */
export const ACK_EVERY = 64 * 1024;

function browserSocket(url: string): TerminalSocketLike {
  return new WebSocket(url) as unknown as TerminalSocketLike;
}

export class TerminalSession {
  private socket: TerminalSocketLike | null = null;
  private isAttached = false;
  private attachedOnce = false;
  /** The stream offset just past the last byte handed to onOutput (what the screen will show). */
  private received = 0;
  /** The stream offset just past the last byte the screen consumed. */
  private consumedTo = 0;
  private ackedTo = 0;
  /** Bumped at each reset: consumed() calls of an older screen are ignored. */
  private generation = 0;
  private cols: number;
  private rows: number;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attachTimer: ReturnType<typeof setTimeout> | null = null;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private current: SessionState = 'stopped';
  private running = false;
  private exitStatus: TerminalExit | null = null;
  private readonly factory: TerminalSocketFactory;
  private readonly backoff: (attempt: number) => number;
  private readonly attachTimeoutMs: number;
  private readonly ackEvery: number;
  private readonly ackDelayMs: number;

  constructor(
    private readonly base: string,
    private readonly token: () => string | null,
    readonly id: string,
    size: { cols: number; rows: number },
    private readonly handlers: SessionHandlers,
    options: SessionOptions = {},
  ) {
    this.cols = size.cols;
    this.rows = size.rows;
    this.factory = options.factory ?? browserSocket;
    this.backoff = options.backoff ?? ((n) => backoffDelay(n));
    this.attachTimeoutMs = options.attachTimeoutMs ?? 10_000;
    this.ackEvery = options.ackEvery ?? ACK_EVERY;
    this.ackDelayMs = options.ackDelayMs ?? 50;
  }

  get state(): SessionState {
    return this.current;
  }

  /** The stream offset the screen holds (where a re-attach resumes). */
  get offset(): number {
    return this.received;
  }

  get exit(): TerminalExit | null {
    return this.exitStatus;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.open();
  }

  /** Closes the socket; nothing more is delivered. `start()` re-attaches at `offset`. */
  stop(): void {
    this.running = false;
    this.drop();
    if (this.current !== 'gone' && this.current !== 'failed') this.setState('stopped', null);
  }

  /**
   * Sends typed input. False, and nothing is sent, while not attached (reconnecting, ended,
   * refused): the caller must show that the keys were refused.
   */
  input(data: string | Uint8Array): boolean {
    if (!this.canSend() || this.exitStatus !== null) return false;
    this.socket!.send(encodeInput(data));
    return true;
  }

  /** The screen's size; sent now when attached, else with the next attach. */
  resize(cols: number, rows: number): void {
    if (cols === this.cols && rows === this.rows) return;
    this.cols = cols;
    this.rows = rows;
    if (this.canSend()) this.socket!.send(encodeResize(cols, rows));
  }

  private canSend(): boolean {
    return this.isAttached && this.socket !== null && this.socket.readyState === 1;
  }

  private setState(state: SessionState, detail: string | null): void {
    if (state === this.current && detail === null) return;
    this.current = state;
    this.handlers.onState?.(state, detail);
  }

  private clearTimer(which: 'retryTimer' | 'attachTimer' | 'ackTimer'): void {
    const t = this[which];
    if (t !== null) clearTimeout(t);
    this[which] = null;
  }

  private drop(): void {
    this.clearTimer('retryTimer');
    this.clearTimer('attachTimer');
    this.clearTimer('ackTimer');
    this.isAttached = false;
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
    this.setState(this.attachedOnce ? 'reconnecting' : 'connecting', null);
    let socket: TerminalSocketLike;
    try {
      socket = this.factory(terminalWsUrl(this.base, this.id));
    } catch {
      this.retry();
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.attachTimer = setTimeout(() => {
      this.attachTimer = null;
      if (this.socket === socket && !this.isAttached) this.lost();
    }, this.attachTimeoutMs);
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token }));
    socket.onerror = () => {
      /* a close event follows */
    };
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return;
      if (typeof ev.data === 'string') this.receiveText(socket, ev.data);
      else this.receiveBinary(ev.data);
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.isAttached = false;
      this.clearTimer('attachTimer');
      this.clearTimer('ackTimer');
      if (ev.code === CLOSE_AUTH) this.fail(ev.reason || 'The server did not accept the token; log in again.');
      else if (ev.code === 4404) this.end('gone', ev.reason || 'The server no longer has this terminal.');
      else if (ev.code === 4400) this.fail(ev.reason || 'The server refused a frame (4400).');
      else if (this.exitStatus !== null) this.end('exited', null);
      else this.retry();
    };
  }

  private receiveText(socket: TerminalSocketLike, text: string): void {
    const msg = decodeTextMessage(text);
    if (!msg) return;
    if (msg.type === 'auth.ok') {
      // The screen's offset, or null on the first attach: the server then sends the screen and scrollback.
      const offset = this.attachedOnce ? this.received : null;
      socket.send(JSON.stringify({ type: 'attach', cols: this.cols, rows: this.rows, offset }));
      return;
    }
    this.clearTimer('attachTimer');
    if (!this.attachedOnce || msg.offset !== this.received) {
      // A replay that does not continue the screen: start it afresh at the server's offset.
      this.generation++;
      this.handlers.onReset(msg.restore);
    }
    if (this.received !== msg.offset) this.consumedTo = msg.offset;
    this.received = msg.offset;
    // The new connection counts from its attach offset; bytes the screen still writes ack later.
    this.ackedTo = msg.offset;
    this.attachedOnce = true;
    this.isAttached = true;
    this.attempt = 0;
    if (this.exitStatus === null) this.setState('attached', null);
    this.scheduleAck();
  }

  private receiveBinary(data: unknown): void {
    const bytes = messageBytes(data);
    if (!bytes || !this.isAttached) return;
    const frame = decodeServerFrame(bytes);
    if (frame.type === 'output') {
      if (frame.bytes.length === 0) return;
      this.received += frame.bytes.length;
      const end = this.received;
      const generation = this.generation;
      this.handlers.onOutput(frame.bytes, () => {
        if (generation !== this.generation || end <= this.consumedTo) return;
        this.consumedTo = end;
        this.scheduleAck();
      });
    } else if (frame.type === 'title') {
      this.handlers.onTitle?.(frame.title);
    } else if (frame.type === 'exit') {
      this.exitStatus = frame.exit;
      this.setState('exited', null);
      this.handlers.onExit?.(frame.exit);
    }
  }

  /** Acknowledges the consumed bytes: at once past `ackEvery`, else shortly (one frame for a burst). */
  private scheduleAck(): void {
    if (this.consumedTo <= this.ackedTo) return;
    if (this.consumedTo - this.ackedTo >= this.ackEvery) {
      this.sendAck();
      return;
    }
    if (this.ackTimer === null) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = null;
        this.sendAck();
      }, this.ackDelayMs);
    }
  }

  private sendAck(): void {
    this.clearTimer('ackTimer');
    if (!this.canSend() || this.consumedTo <= this.ackedTo) return;
    this.ackedTo = this.consumedTo;
    this.socket!.send(encodeAck(this.consumedTo));
  }

  /** The connection is no good (no attach in time): drop it and make another. */
  private lost(): void {
    this.drop();
    this.retry();
  }

  private end(state: 'gone' | 'exited', detail: string | null): void {
    this.running = false;
    this.drop();
    this.setState(state, detail);
  }

  private fail(detail: string): void {
    this.running = false;
    this.drop();
    this.setState('failed', detail);
  }

  private retry(): void {
    if (!this.running) return;
    this.setState(this.attachedOnce ? 'reconnecting' : 'connecting', null);
    const delay = this.backoff(this.attempt++);
    this.timer(delay);
  }

  private timer(delay: number): void {
    this.clearTimer('retryTimer');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.running) this.open();
    }, delay);
  }
}
