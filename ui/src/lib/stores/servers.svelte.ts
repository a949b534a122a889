import * as auth from '../api/auth';
import { ServerClient, type FetchLike } from '../api/client';
import { isAilabServer } from '../api/server';
import { TopicRegistry } from '../api/topics';
import { normalizeServerUrl, serverIdFor } from '../api/url';
import type { ConnState, SocketFactory } from '../api/ws';

/** What the browser keeps about an added server (localStorage `ailab.servers`). */
export interface ServerEntry {
  id: string;
  url: string;
  name: string;
  user: string | null;
  token: string | null;
  expires_at: number | null;
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const STORAGE_KEY = 'ailab.servers';
export const THIS_SERVER_NAME = 'this server';

export interface ServersDeps {
  storage?: StorageLike | null;
  fetch?: FetchLike;
  socketFactory?: SocketFactory;
  /** Unix seconds. */
  now?: () => number;
}

function validEntry(value: unknown): value is ServerEntry {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && typeof v.url === 'string';
}

/**
 * The added servers, their tokens and connection states. Owns one ServerClient per server.
 * Connection data is kept in this browser only and sent to nobody but that server.
 */
export class ServersStore {
  list = $state<ServerEntry[]>([]);
  status = $state<Record<string, ConnState>>({});
  /** Id of the server that served this page, when it is an AI Lab server. */
  thisServerId = $state<string | null>(null);
  /** True once the "is this page served by AI Lab" check has finished. */
  detected = $state(false);
  /** The WebSocket topics every server's socket subscribes to, and their handlers. */
  readonly topics = new TopicRegistry();

  private readonly clients = new Map<string, ServerClient>();
  private readonly readyCallbacks = new Set<(serverId: string) => void>();
  private readonly removedCallbacks = new Set<(serverId: string) => void>();
  private readonly deps: ServersDeps;

  constructor(deps: ServersDeps = {}) {
    this.deps = deps;
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now() / 1000;
  }

  load(): void {
    const raw = this.deps.storage?.getItem(STORAGE_KEY) ?? null;
    let entries: ServerEntry[] = [];
    if (raw) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (Array.isArray(parsed)) {
          entries = parsed.filter(validEntry).map((e) => ({
            id: e.id,
            url: e.url,
            name: typeof e.name === 'string' && e.name ? e.name : e.url,
            user: typeof e.user === 'string' ? e.user : null,
            token: typeof e.token === 'string' ? e.token : null,
            expires_at: typeof e.expires_at === 'number' ? e.expires_at : null,
          }));
        }
      } catch {
        entries = [];
      }
    }
    this.list = entries;
    for (const e of entries) this.ensureClient(e);
  }

  private save(): void {
    const plain = this.list.map((e) => ({
      id: e.id,
      url: e.url,
      name: e.name,
      user: e.user,
      token: e.token,
      expires_at: e.expires_at,
    }));
    this.deps.storage?.setItem(STORAGE_KEY, JSON.stringify(plain));
  }

  get(id: string): ServerEntry | undefined {
    return this.list.find((e) => e.id === id);
  }

  findByUrl(url: string): ServerEntry | undefined {
    return this.list.find((e) => e.url === url);
  }

  names(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.list) out[e.id] = e.name;
    return out;
  }

  client(id: string): ServerClient | undefined {
    return this.clients.get(id);
  }

  /** A usable token: present and not expired. */
  hasValidToken(entry: ServerEntry): boolean {
    return !!entry.token && (entry.expires_at === null || entry.expires_at > this.now());
  }

  needsLogin(id: string): boolean {
    const e = this.get(id);
    if (!e) return false;
    return !this.hasValidToken(e) || this.status[id] === 'needs-login';
  }

  private ensureClient(entry: ServerEntry): ServerClient {
    let client = this.clients.get(entry.id);
    if (client) return client;
    const id = entry.id;
    client = new ServerClient(entry.url, {
      token: this.hasValidToken(entry) ? entry.token : null,
      fetch: this.deps.fetch,
      socketFactory: this.deps.socketFactory,
      topics: () => this.topics.topics(),
      onUnauthorized: () => this.forgetToken(id),
    });
    client.onState((state) => {
      this.status[id] = state;
    });
    client.onEvent((msg) => this.topics.dispatch(id, msg));
    client.onReady(() => this.readyCallbacks.forEach((cb) => cb(id)));
    this.clients.set(id, client);
    this.status[id] = this.hasValidToken(entry) ? 'idle' : 'needs-login';
    return client;
  }

  private forgetToken(id: string): void {
    const e = this.get(id);
    if (e && e.token !== null) {
      e.token = null;
      e.expires_at = null;
      this.save();
    }
    this.status[id] = 'needs-login';
  }

  /** Opens the WebSocket of every server that has a token. */
  connectAll(): void {
    for (const e of this.list) {
      const client = this.ensureClient(e);
      if (this.hasValidToken(e)) client.connect();
      else this.status[e.id] = 'needs-login';
    }
  }

  /** Logs into a new server and adds it. Throws (ApiError) when the login fails; nothing is added then. */
  async add(urlInput: string, user: string, password: string, name?: string): Promise<ServerEntry> {
    const url = normalizeServerUrl(urlInput);
    const existing = this.findByUrl(url);
    if (existing) {
      await this.login(existing.id, user, password);
      return existing;
    }
    const probe = new ServerClient(url, { fetch: this.deps.fetch });
    const answer = await auth.login(probe, user, password);
    const entry: ServerEntry = {
      id: serverIdFor(url, this.list.map((e) => e.id)),
      url,
      name: name?.trim() || new URL(url).host,
      user: answer.user ?? user,
      token: answer.token,
      expires_at: answer.expires_at ?? null,
    };
    this.list.push(entry);
    this.save();
    this.ensureClient(entry).connect();
    return entry;
  }

  /** Logs into an added server again (new token) and reconnects it. */
  async login(id: string, user: string, password: string): Promise<void> {
    const entry = this.get(id);
    if (!entry) throw new Error(`Unknown server ${id}`);
    const client = this.ensureClient(entry);
    client.disconnect();
    const answer = await auth.login(client, user, password);
    entry.user = answer.user ?? user;
    entry.token = answer.token;
    entry.expires_at = answer.expires_at ?? null;
    this.save();
    client.connect();
  }

  async logout(id: string): Promise<void> {
    const client = this.clients.get(id);
    try {
      if (client) await auth.logout(client);
    } finally {
      this.forgetToken(id);
    }
  }

  remove(id: string): void {
    const client = this.clients.get(id);
    client?.disconnect();
    this.clients.delete(id);
    this.list = this.list.filter((e) => e.id !== id);
    delete this.status[id];
    if (this.thisServerId === id) this.thisServerId = null;
    this.save();
    this.removedCallbacks.forEach((cb) => cb(id));
  }

  rename(id: string, name: string): void {
    const e = this.get(id);
    if (!e || !name.trim()) return;
    e.name = name.trim();
    this.save();
  }

  /** Adds (without a token) the server at `origin` unless present; returns its id. */
  ensureServer(origin: string, name: string): string {
    const url = normalizeServerUrl(origin);
    const existing = this.findByUrl(url);
    if (existing) return existing.id;
    const entry: ServerEntry = {
      id: serverIdFor(url, this.list.map((e) => e.id)),
      url,
      name,
      user: null,
      token: null,
      expires_at: null,
    };
    this.list.unshift(entry);
    this.save();
    this.ensureClient(entry);
    return entry.id;
  }

  /**
   * When this page was served over http(s) by an AI Lab server, adds it as "this server".
   * A static copy on another host finds no server there and adds nothing.
   */
  async detectThisServer(location: { protocol: string; origin: string }): Promise<string | null> {
    try {
      if (location.protocol !== 'http:' && location.protocol !== 'https:') return null;
      const fetchImpl = this.deps.fetch ?? ((i: string, n?: RequestInit) => fetch(i, n));
      if (!(await isAilabServer(location.origin, fetchImpl))) return null;
      const id = this.ensureServer(location.origin, THIS_SERVER_NAME);
      this.thisServerId = id;
      return id;
    } finally {
      this.detected = true;
    }
  }

  onReady(cb: (serverId: string) => void): () => void {
    this.readyCallbacks.add(cb);
    return () => this.readyCallbacks.delete(cb);
  }

  onRemoved(cb: (serverId: string) => void): () => void {
    this.removedCallbacks.add(cb);
    return () => this.removedCallbacks.delete(cb);
  }
}
