// The terminal socket's binary frames (docs/API.md "GET /api/v1/terminals/{id}/ws"): the first
// byte is an ASCII type ('0', '1', '2'), the rest its payload. Pure functions, no socket.
import type { TerminalExit } from '../api/terminals';

const TYPE_0 = 0x30;
const TYPE_1 = 0x31;
const TYPE_2 = 0x32;

const encoder = new TextEncoder();

function frame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = type;
  out.set(payload, 1);
  return out;
}

/** Client → server `0`: input bytes as typed (a string is sent as UTF-8). */
export function encodeInput(data: string | Uint8Array): Uint8Array {
  return frame(TYPE_0, typeof data === 'string' ? encoder.encode(data) : data);
}

/** Client → server `1`: resize; the server accepts 1–1000 for each. */
export function encodeResize(cols: number, rows: number): Uint8Array {
  const clamp = (n: number) => Math.min(1000, Math.max(1, Math.round(n)));
  return frame(TYPE_1, encoder.encode(JSON.stringify({ cols: clamp(cols), rows: clamp(rows) })));
}

/** Client → server `2`: the stream was consumed up to `offset`. */
export function encodeAck(offset: number): Uint8Array {
  return frame(TYPE_2, encoder.encode(JSON.stringify({ offset })));
}

/** A server frame: output bytes, a new title, the exit status, or something this client does not know. */
export type ServerFrame =
  | { type: 'output'; bytes: Uint8Array }
  | { type: 'title'; title: string }
  | { type: 'exit'; exit: TerminalExit }
  | { type: 'unknown'; reason: string };

/** The bytes of a binary WebSocket message (ArrayBuffer or a typed-array view); null for anything else. */
export function messageBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

function exitOf(value: unknown): TerminalExit | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  if (!('code' in v) && !('signal' in v)) return null;
  return { code: num(v.code), signal: num(v.signal) };
}

/** Decodes one binary server frame. Output keeps a view on `bytes` (no copy). */
export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  if (bytes.length === 0) return { type: 'unknown', reason: 'empty frame' };
  const payload = bytes.subarray(1);
  switch (bytes[0]) {
    case TYPE_0:
      return { type: 'output', bytes: payload };
    case TYPE_1:
      return { type: 'title', title: new TextDecoder().decode(payload) };
    case TYPE_2: {
      let exit: TerminalExit | null = null;
      try {
        exit = exitOf(JSON.parse(new TextDecoder().decode(payload)));
      } catch {
        exit = null;
      }
      return exit ? { type: 'exit', exit } : { type: 'unknown', reason: 'bad exit payload' };
    }
    default:
      return { type: 'unknown', reason: `frame type ${bytes[0]}` };
  }
}

/** The `attached` text message: the stream offset where the replay starts and the modes to restore first. */
export interface Attached {
  offset: number;
  restore: string;
}

/** A text message from the server: `auth.ok`, `attached`, or null for anything else. */
export function decodeTextMessage(text: string): { type: 'auth.ok' } | ({ type: 'attached' } & Attached) | null {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as Record<string, unknown>;
  if (m.type === 'auth.ok') return { type: 'auth.ok' };
  if (m.type === 'attached' && typeof m.offset === 'number' && Number.isFinite(m.offset) && m.offset >= 0) {
    return { type: 'attached', offset: m.offset, restore: typeof m.restore === 'string' ? m.restore : '' };
  }
  return null;
}

/** How a human reads an exit status: "exited 0", "killed by signal 9". */
export function describeExit(exit: TerminalExit): string {
  if (exit.signal !== null) return `killed by signal ${exit.signal}`;
  return exit.code === null ? 'exited' : `exited ${exit.code}`;
}
