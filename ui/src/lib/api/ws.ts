import { wsUrl } from './url';

export type ConnState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'needs-login';

/** The part of the browser WebSocket that this module uses (lets tests pass a fake). */
export interface SocketLike {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

/** One event from a server: `type` is "<topic>.<event>" (e.g. "runs.updated"), the rest is its data. */
export type ServerMessage = Record<string, unknown> & { type: string };

/** The topics to subscribe to, read again at each authentication. */
export type TopicList = () => readonly string[];

export interface WsHandlers {
  onMessage(msg: ServerMessage): void;
  onState(state: ConnState): void;
  /** Called after each successful auth (first connect and every reconnect). */
  onReady(): void;
  /** The server closed with 4401 (bad or expired token). Resolve true if the token is really bad. */
  checkAuthRejected(): Promise<boolean>;
}

/** Closes `socket` (1000) after detaching its handlers, so nothing it still delivers reaches its old owner. */
export function detachAndClose(socket: SocketLike): void {
  socket.onclose = null;
  socket.onmessage = null;
  socket.onerror = null;
  socket.onopen = null;
  try {
    socket.close(1000, 'client closed');
  } catch {
    /* already closed */
  }
}

/** Close code the server uses for a failed auth handshake. */
export const CLOSE_AUTH = 4401;

/** Delay before reconnect attempt `attempt` (0-based): 0.5 s doubling up to 30 s. */
export function backoffDelay(attempt: number, random = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * One WebSocket per server: authenticates with the token in its first message, subscribes to the
 * topics that `topics()` names at that moment (none: no subscribe message), reconnects with
 * backoff, and stops for good when the token is rejected.
 */
export class WsConnection {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = true;
  private current: ConnState = 'idle';

  constructor(
    private readonly base: string,
    private readonly token: () => string | null,
    private readonly topics: TopicList,
    private readonly handlers: WsHandlers,
    private readonly factory: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike,
  ) {}

  get state(): ConnState {
    return this.current;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.open();
  }

  stop(state: ConnState = 'idle'): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) detachAndClose(socket);
    this.setState(state);
  }

  private setState(state: ConnState): void {
    if (state === this.current) return;
    this.current = state;
    this.handlers.onState(state);
  }

  private clearTimers(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.timer = null;
    this.pingTimer = null;
  }

  private open(): void {
    const token = this.token();
    if (!token) {
      this.stop('needs-login');
      return;
    }
    this.setState('connecting');
    let socket: SocketLike;
    try {
      socket = this.factory(wsUrl(this.base));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token }));
    socket.onmessage = (ev) => this.receive(ev.data);
    socket.onerror = () => {
      /* a close event follows */
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      this.clearTimers();
      if (ev.code === CLOSE_AUTH) {
        this.setState('disconnected');
        void this.handlers.checkAuthRejected().then((rejected) => {
          if (this.stopped) return;
          if (rejected) this.stop('needs-login');
          else this.scheduleReconnect();
        });
        return;
      }
      this.setState('disconnected');
      this.scheduleReconnect();
    };
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null || typeof (msg as { type?: unknown }).type !== 'string') return;
    const typed = msg as ServerMessage;
    switch (typed.type) {
      case 'auth.ok':
        this.attempt = 0;
        this.subscribe();
        this.setState('connected');
        this.pingTimer = setInterval(() => this.send({ type: 'ping' }), 25_000);
        this.handlers.onReady();
        return;
      case 'subscribed':
      case 'pong':
        return;
      default:
        this.handlers.onMessage(typed);
    }
  }

  private subscribe(): void {
    const topics = this.topics();
    if (topics.length > 0) this.send({ type: 'subscribe', topics: [...topics] });
  }

  send(msg: unknown): void {
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(msg));
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.open();
    }, delay);
  }
}
