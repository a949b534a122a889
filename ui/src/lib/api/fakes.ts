// Test doubles for the API layer: a scripted fetch and a controllable WebSocket.
import type { FetchLike } from './client';
import type { SocketLike } from './ws';

export interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** A JSON body, parsed (undefined for none or a raw body). */
  body: unknown;
  /** The body as sent (a string, bytes or a Blob). */
  rawBody: unknown;
}

/** An answer: `body` is sent as JSON, `raw` (bytes or text) as it is. */
export type Handler = (call: Call) => { status?: number; body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string> };

function parseJson(body: unknown): unknown {
  if (typeof body !== 'string') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** A fetch that records calls and answers from `handler`. */
export function fakeFetch(handler: Handler): FetchLike & { calls: Call[] } {
  const calls: Call[] = [];
  const fn = (async (url: string, init?: RequestInit) => {
    const call: Call = {
      url,
      method: init?.method ?? 'GET',
      headers: (init?.headers as Record<string, string>) ?? {},
      body: parseJson(init?.body),
      rawBody: init?.body,
    };
    calls.push(call);
    const answer = handler(call);
    const status = answer.status ?? 200;
    if (answer.raw !== undefined) {
      const raw = typeof answer.raw === 'string' ? answer.raw : new Blob([answer.raw.slice()]);
      return new Response(raw, { status, headers: { 'Content-Type': 'application/octet-stream', ...(answer.headers ?? {}) } });
    }
    return new Response(answer.body === undefined ? '' : JSON.stringify(answer.body), {
      status,
      headers: { 'Content-Type': 'application/json', ...(answer.headers ?? {}) },
    });
  }) as FetchLike & { calls: Call[] };
  fn.calls = calls;
  return fn;
}

export class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  binaryType = 'blob';
  sent: unknown[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.closed = true;
    this.readyState = 3;
  }
  // ---- driven by tests ----
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  /** A binary frame, delivered as an ArrayBuffer (what `binaryType = 'arraybuffer'` gives). */
  receiveBinary(bytes: Uint8Array | string): void {
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    this.onmessage?.({ data: data.slice().buffer });
  }
  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

export const fakeSocketFactory = (url: string) => new FakeSocket(url);
