import { ApiError, parseRetryAfter } from './errors';
import { WsConnection, type ConnState, type ServerMessage, type SocketFactory, type TopicList } from './ws';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;
export type EventListener = (msg: ServerMessage) => void;

export interface ClientOptions {
  token?: string | null;
  fetch?: FetchLike;
  socketFactory?: SocketFactory;
  /** The WebSocket topics to subscribe to, read at each (re)authentication. Default: none. */
  topics?: TopicList;
  /** Called when the server rejects the token (HTTP 401 or WebSocket 4401). */
  onUnauthorized?: () => void;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

/**
 * What a 401 answer to a request means: the token is no longer valid (the client forgets it and
 * needs a new login), or only the credentials this request carried were wrong (a failed login).
 */
export type UnauthorizedMeans = 'token-rejected' | 'credentials-rejected';

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is (bytes, a Blob); instead of `body`. */
  rawBody?: BodyInit;
  /** Extra request headers (preconditions, Range, a raw body's Content-Type). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  unauthorized?: UnauthorizedMeans;
}

/**
 * One object per added server: the transport every feature's API module (runs.ts, system.ts,
 * trash.ts, auth.ts, …) uses to talk to an AI Lab server. HTTP calls carry the Bearer token;
 * error answers become ApiError; one WebSocket, authenticated by its first message, carries the
 * server's events. The client knows no endpoint of any feature.
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
      options.topics ?? (() => []),
      {
        onMessage: (msg) => this.listeners.forEach((l) => l(msg)),
        onState: (state) => {
          if (state === 'needs-login') this.onUnauthorized();
          this.stateListeners.forEach((l) => l(state));
        },
        onReady: () => this.readyListeners.forEach((l) => l()),
        checkAuthRejected: async () => {
          try {
            await this.get('/info');
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

  /** Sends one request; error answers (4xx/5xx) become ApiError. Returns the answer (status 2xx/3xx). */
  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const { body, query, rawBody, signal } = options;
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    Object.assign(headers, options.headers ?? {});
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, query), {
        method,
        headers,
        body: rawBody !== undefined ? rawBody : body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      const origin = typeof location === 'undefined' ? '' : location.origin;
      const hint = origin && origin !== this.base ? ` Is it running, and does its allowed_origins list ${origin}?` : '';
      throw new ApiError(0, `Cannot reach ${this.base} (${e instanceof Error ? e.message : String(e)}).${hint}`);
    }
    if (!response.ok) {
      const text = await response.text();
      let message = `${response.status} ${response.statusText || 'error'}`;
      let data: unknown = null;
      try {
        data = JSON.parse(text) as unknown;
        const error = (data as { error?: unknown } | null)?.error;
        if (typeof error === 'string') message = error;
      } catch {
        /* not JSON: keep the status line */
      }
      const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
      if (response.status === 401 && (options.unauthorized ?? 'token-rejected') === 'token-rejected') this.forgetToken();
      throw new ApiError(response.status, message, retryAfter, data, response.headers);
    }
    return response;
  }

  /** Sends one request; error answers (4xx/5xx) become ApiError. Returns the answer itself (to read its headers or stream its body). */
  requestRaw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    return this.send(method, path, options);
  }

  /** Sends one request; error answers (4xx/5xx) become ApiError. Returns the body text. */
  async requestText(method: string, path: string, options: RequestOptions = {}): Promise<string> {
    return (await this.send(method, path, options)).text();
  }

  /** Like requestText, for raw answers: the body's bytes and the answer's headers. */
  async requestBytes(method: string, path: string, options: RequestOptions = {}): Promise<{ bytes: Uint8Array; headers: Headers }> {
    const response = await this.send(method, path, options);
    return { bytes: new Uint8Array(await response.arrayBuffer()), headers: response.headers };
  }

  /** Like requestText, with the answer parsed as JSON (an empty body is null). */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const text = await this.requestText(method, path, options);
    if (text === '') return null as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(200, 'The server answered with invalid JSON');
    }
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown = {}, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  /** Drops the token and closes the socket for good: the client needs a new login. */
  forgetToken(): void {
    this.token = null;
    this.ws.stop('needs-login');
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
