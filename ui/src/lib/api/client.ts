import { ApiError, parseRetryAfter } from './errors';
import type {
  CleanupResponse,
  HistoryResponse,
  Info,
  LoginResponse,
  MetricsResponse,
  RestoreResponse,
  RunDetail,
  RunSummary,
  SystemSample,
  TrashItem,
  XAxis,
} from './types';
import { WsConnection, type ConnState, type SocketFactory } from './ws';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;
export type EventListener = (msg: Record<string, unknown> & { type: string }) => void;

export interface ClientOptions {
  token?: string | null;
  fetch?: FetchLike;
  socketFactory?: SocketFactory;
  topics?: string[];
  /** Called when the server rejects the token (HTTP 401 or WebSocket 4401). */
  onUnauthorized?: () => void;
}

type Query = Record<string, string | number | boolean | null | undefined>;

/**
 * One object per added server: the only code that talks to an AI Lab server.
 * HTTP calls carry the Bearer token; error answers become ApiError; one WebSocket
 * carries the server's events.
 */
export class ServerClient {
  readonly base: string;
  token: string | null;
  private readonly fetchImpl: FetchLike;
  private readonly ws: WsConnection;
  private readonly listeners = new Set<EventListener>();
  private readonly stateListeners = new Set<(s: ConnState) => void>();
  private readonly readyListeners = new Set<() => void>();
  private readonly onUnauthorized: () => void;

  constructor(base: string, options: ClientOptions = {}) {
    this.base = base.replace(/\/+$/, '');
    this.token = options.token ?? null;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.onUnauthorized = options.onUnauthorized ?? (() => {});
    this.ws = new WsConnection(
      this.base,
      () => this.token,
      options.topics ?? ['runs', 'system'],
      {
        onMessage: (msg) => this.listeners.forEach((l) => l(msg)),
        onState: (state) => {
          if (state === 'needs-login') this.onUnauthorized();
          this.stateListeners.forEach((l) => l(state));
        },
        onReady: () => this.readyListeners.forEach((l) => l()),
        checkAuthRejected: async () => {
          try {
            await this.get<Info>('/info');
            return false;
          } catch (e) {
            return e instanceof ApiError && e.status === 401;
          }
        },
      },
      options.socketFactory,
    );
  }

  url(path: string, query?: Query): string {
    let url = `${this.base}/api/v1${path}`;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (v !== null && v !== undefined) params.set(k, String(v));
      }
      const text = params.toString();
      if (text) url += `?${text.replace(/%2C/g, ',')}`;
    }
    return url;
  }

  /** Sends one request; error answers (4xx/5xx) become ApiError. Returns the body text. */
  private async send(method: string, path: string, body?: unknown, query?: Query): Promise<string> {
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const origin = typeof location === 'undefined' ? '' : location.origin;
      const hint = origin && origin !== this.base ? ` Is it running, and does its allowed_origins list ${origin}?` : '';
      throw new ApiError(0, `Cannot reach ${this.base} (${e instanceof Error ? e.message : String(e)}).${hint}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let message = `${response.status} ${response.statusText || 'error'}`;
      try {
        const data = JSON.parse(text) as { error?: unknown };
        if (data && typeof data.error === 'string') message = data.error;
      } catch {
        /* not JSON: keep the status line */
      }
      const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
      if (response.status === 401 && path !== '/login') this.unauthorized();
      throw new ApiError(response.status, message, retryAfter);
    }
    return text;
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const text = await this.send(method, path, body, query);
    if (text === '') return null as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(200, 'The server answered with invalid JSON');
    }
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, undefined, query);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  private unauthorized(): void {
    this.token = null;
    this.ws.stop('needs-login');
  }

  async login(user: string, password: string): Promise<LoginResponse> {
    const answer = await this.post<LoginResponse>('/login', { user, password });
    this.token = answer.token;
    return answer;
  }

  async logout(): Promise<void> {
    try {
      if (this.token) await this.post('/logout');
    } finally {
      this.token = null;
      this.ws.stop('needs-login');
    }
  }

  // ---- typed endpoints ----
  health(): Promise<{ status: string; version: string }> {
    return this.get('/health');
  }
  info(): Promise<Info> {
    return this.get('/info');
  }
  runs(): Promise<{ runs: RunSummary[] }> {
    return this.get('/runs');
  }
  run(id: string): Promise<RunDetail> {
    return this.get(`/runs/${encodeURIComponent(id)}`);
  }
  metrics(id: string, x: XAxis, maxPoints: number, keys?: string[]): Promise<MetricsResponse> {
    return this.get(`/runs/${encodeURIComponent(id)}/metrics`, {
      x,
      max_points: Math.max(2, Math.round(maxPoints)),
      keys: keys && keys.length ? keys.join(',') : undefined,
    });
  }
  /** Every point of a run as CSV or JSON lines text. */
  exportRun(id: string, format: 'csv' | 'jsonl'): Promise<string> {
    return this.send('GET', `/runs/${encodeURIComponent(id)}/export`, undefined, { format });
  }
  cleanup(ids: string[]): Promise<CleanupResponse> {
    return this.post('/runs/cleanup', { ids });
  }
  trash(): Promise<{ items: TrashItem[] }> {
    return this.get('/runs/trash');
  }
  restore(items: string[]): Promise<RestoreResponse> {
    return this.post('/runs/restore', { items });
  }
  system(): Promise<SystemSample> {
    return this.get('/system');
  }
  history(range: '1h' | '24h'): Promise<HistoryResponse> {
    return this.get('/system/history', { range });
  }

  // ---- WebSocket ----
  get connState(): ConnState {
    return this.ws.state;
  }
  connect(): void {
    this.ws.start();
  }
  disconnect(): void {
    this.ws.stop('idle');
  }
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  onState(listener: (s: ConnState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }
  /** Called each time the socket is authenticated (time to resync state). */
  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }
}

/** Asks `origin` whether it is an AI Lab server (GET /api/v1/health answers {"status":"ok"}). */
export async function isAilabServer(origin: string, fetchImpl: FetchLike = (i, n) => fetch(i, n)): Promise<boolean> {
  try {
    const response = await fetchImpl(`${origin}/api/v1/health`, { method: 'GET' });
    if (!response.ok) return false;
    const data = (await response.json()) as { status?: unknown };
    return data?.status === 'ok';
  } catch {
    return false;
  }
}
