/** An HTTP error answer from a server, carrying its status and the server's `{"error"}` text. */
export class ApiError extends Error {
  readonly status: number;
  /** Seconds to wait, from a `Retry-After` header (429). */
  readonly retryAfter: number | null;
  /** The answer's body parsed as JSON (null when it was not JSON), for errors that carry more than a message (a 412's current `etag`). */
  readonly body: unknown;
  /** The answer's headers, when there was an answer. */
  readonly headers: Headers | null;

  constructor(status: number, message: string, retryAfter: number | null = null, body: unknown = null, headers: Headers | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.retryAfter = retryAfter;
    this.body = body;
    this.headers = headers;
  }
}

/** Parses a Retry-After header: delta seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
