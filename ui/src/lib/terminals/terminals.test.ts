import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServerClient } from '../api/client';
import { fakeFetch } from '../api/fakes';
import { createTerminal, deleteTerminal, runRequest, shellQuote, terminalWsUrl } from '../api/terminals';
import { decodeServerFrame, decodeTextMessage, describeExit, encodeAck, encodeInput, encodeResize, messageBytes } from './codec';
import { TerminalSession, type SessionState, type TerminalSocketLike } from './session';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytesOf = (s: string) => new TextEncoder().encode(s);

describe('terminal frame codec', () => {
  it('prefixes client frames with the ASCII type byte', () => {
    // Bad input it guards against: a type sent as the number 0 instead of the character '0' (0x30).
    expect(Array.from(encodeInput('ls\r'))).toEqual([0x30, 0x6c, 0x73, 0x0d]);
    expect(text(encodeInput('é'))).toBe('0é');
    expect(Array.from(encodeInput(new Uint8Array([3])))).toEqual([0x30, 3]);
    expect(text(encodeResize(120, 40))).toBe('1{"cols":120,"rows":40}');
    expect(text(encodeAck(1048576))).toBe('2{"offset":1048576}');
  });

  it('clamps a resize to the 1–1000 the server accepts', () => {
    // Bad input: a hidden element measures 0 columns; a huge window more than 1000.
    expect(text(encodeResize(0, 5000))).toBe('1{"cols":1,"rows":1000}');
    expect(text(encodeResize(80.6, 23.4))).toBe('1{"cols":81,"rows":23}');
  });

  it('decodes output, title and exit frames, and names what it does not know', () => {
    const out = decodeServerFrame(bytesOf('0hello\x1b[0m'));
    expect(out.type).toBe('output');
    expect(out.type === 'output' && text(out.bytes)).toBe('hello\x1b[0m');
    expect(decodeServerFrame(bytesOf('1vim a.py'))).toEqual({ type: 'title', title: 'vim a.py' });
    expect(decodeServerFrame(bytesOf('2{"code":0,"signal":null}'))).toEqual({ type: 'exit', exit: { code: 0, signal: null } });
    expect(decodeServerFrame(bytesOf('2{"code":null,"signal":9}'))).toEqual({ type: 'exit', exit: { code: null, signal: 9 } });
    // Bad input: an empty frame, an unknown type, an exit that is not JSON.
    expect(decodeServerFrame(new Uint8Array()).type).toBe('unknown');
    expect(decodeServerFrame(bytesOf('9x')).type).toBe('unknown');
    expect(decodeServerFrame(bytesOf('2{oops')).type).toBe('unknown');
    expect(decodeServerFrame(bytesOf('2[]')).type).toBe('unknown');
  });

  it('keeps output bytes that are not valid UTF-8 as they are', () => {
    // Bad input: half of a UTF-8 character at the end of a frame (the next frame has the rest).
    const frame = new Uint8Array([0x30, 0x61, 0xc3]);
    const out = decodeServerFrame(frame);
    expect(out.type === 'output' && Array.from(out.bytes)).toEqual([0x61, 0xc3]);
  });

  it('reads binary messages and the attached text message', () => {
    expect(Array.from(messageBytes(new Uint8Array([1, 2]).buffer)!)).toEqual([1, 2]);
    expect(messageBytes('text')).toBeNull();
    expect(decodeTextMessage('{"type":"auth.ok","user":"admin"}')).toEqual({ type: 'auth.ok' });
    expect(decodeTextMessage('{"type":"attached","offset":42,"restore":"\\u001b[?1049h"}')).toEqual({
      type: 'attached',
      offset: 42,
      restore: '\x1b[?1049h',
    });
    expect(decodeTextMessage('{"type":"attached","offset":7}')).toEqual({ type: 'attached', offset: 7, restore: '' });
    // Bad input: a negative or missing offset, not JSON.
    expect(decodeTextMessage('{"type":"attached","offset":-1}')).toBeNull();
    expect(decodeTextMessage('{"type":"attached"}')).toBeNull();
    expect(decodeTextMessage('nope')).toBeNull();
  });

  it('describes an exit', () => {
    expect(describeExit({ code: 0, signal: null })).toBe('exited 0');
    expect(describeExit({ code: null, signal: 9 })).toBe('killed by signal 9');
  });
});

describe('Run command of a script', () => {
  it('runs python3 or bash in the file folder, quoted for the shell', () => {
    expect(runRequest('train.py')).toEqual({ path: '', command: 'python3 train.py' });
    expect(runRequest('scripts/setup.sh')).toEqual({ path: 'scripts', command: 'bash setup.sh' });
    // Bad input: names with spaces, quotes and shell syntax must stay one word.
    expect(runRequest("my dir/it's $(rm -rf x).py")).toEqual({ path: 'my dir', command: `python3 'it'\\''s $(rm -rf x).py'` });
    // A name that starts with '-' is not taken for an option of the interpreter.
    expect(runRequest('-x.sh')).toEqual({ path: '', command: 'bash ./-x.sh' });
    expect(runRequest('notes.txt')).toBeNull();
    expect(shellQuote('')).toBe("''");
  });

  it('sends the Run request with its folder, and no path for a terminal without a root', async () => {
    // Bad input: a path without a root, which the server refuses (400).
    const fetch = fakeFetch((call) => ({ status: call.method === 'POST' ? 201 : 200, body: { terminal: { id: 'ab' } } }));
    const client = new ServerClient('http://h:1', { fetch, token: 'tok' });
    await createTerminal(client, { root: 'project:p', path: 'scripts', command: 'bash setup.sh' });
    await createTerminal(client, { root: null, path: 'ignored' });
    await deleteTerminal(client, 'ab');
    expect(fetch.calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['POST', 'http://h:1/api/v1/terminals', { root: 'project:p', path: 'scripts', cols: 80, rows: 24, command: 'bash setup.sh' }],
      ['POST', 'http://h:1/api/v1/terminals', { root: null, cols: 80, rows: 24, command: null }],
      ['DELETE', 'http://h:1/api/v1/terminals/ab', undefined],
    ]);
  });

  it('builds the socket address from the server base', () => {
    expect(terminalWsUrl('https://lab:8443', 'ab12')).toBe('wss://lab:8443/api/v1/terminals/ab12/ws');
    expect(terminalWsUrl('http://h:1', 'a/b')).toBe('ws://h:1/api/v1/terminals/a%2Fb/ws');
  });
});

/** A controllable terminal socket: records what the session sends (text as JSON, frames as text). */
class TermSocket implements TerminalSocketLike {
  static all: TermSocket[] = [];
  readyState = 0;
  binaryType = 'blob';
  sent: unknown[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    TermSocket.all.push(this);
  }
  send(data: string | Uint8Array): void {
    this.sent.push(typeof data === 'string' ? JSON.parse(data) : text(data));
  }
  close(): void {
    this.closed = true;
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  text(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  frame(s: string): void {
    this.onmessage?.({ data: bytesOf(s).buffer });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  /** Opens, authenticates and attaches at `offset`. */
  attach(offset: number, restore = ''): void {
    this.open();
    this.text({ type: 'auth.ok', user: 'admin' });
    this.text({ type: 'attached', offset, restore });
  }
}

/** A screen stand-in: what the session hands on, and the consumed() callbacks to call. */
function screen() {
  const log: string[] = [];
  let shown = '';
  const pending: (() => void)[] = [];
  const states: SessionState[] = [];
  return {
    log,
    states,
    pending,
    get shown() {
      return shown;
    },
    handlers: {
      onReset: (restore: string) => {
        log.push(`reset:${restore}`);
        shown = restore;
      },
      onOutput: (bytes: Uint8Array, consumed: () => void) => {
        shown += text(bytes);
        pending.push(consumed);
      },
      onTitle: (t: string) => log.push(`title:${t}`),
      onExit: (e: { code: number | null; signal: number | null }) => log.push(`exit:${e.code}/${e.signal}`),
      onState: (s: SessionState) => states.push(s),
    },
    consumeAll() {
      pending.splice(0).forEach((f) => f());
    },
  };
}

describe('TerminalSession', () => {
  beforeEach(() => {
    TermSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  const factory = (url: string) => new TermSocket(url);
  const make = (sc: ReturnType<typeof screen>, token: string | null = 'tok') =>
    new TerminalSession('https://lab:8443', () => token, 't1', { cols: 100, rows: 30 }, sc.handlers, {
      factory,
      backoff: (n) => 100 * (n + 1),
      ackDelayMs: 10,
      ackEvery: 16,
    });

  it('authenticates first, attaches with no offset and its size, then writes restore and the replay', () => {
    const sc = screen();
    const s = make(sc);
    s.start();
    const sock = TermSocket.all[0];
    expect(sock.url).toBe('wss://lab:8443/api/v1/terminals/t1/ws');
    expect(sock.binaryType).toBe('arraybuffer');
    sock.open();
    expect(sock.sent).toEqual([{ type: 'auth', token: 'tok' }]);
    // Bad input: output before the attach answer is not part of the stream.
    sock.frame('0early');
    sock.text({ type: 'auth.ok', user: 'admin' });
    expect(sock.sent[1]).toEqual({ type: 'attach', cols: 100, rows: 30, offset: null });
    sock.text({ type: 'attached', offset: 500, restore: '\x1b[?1049h' });
    sock.frame('0$ ls\r\n');
    expect(sc.log).toEqual(['reset:\x1b[?1049h']);
    expect(sc.shown).toBe('\x1b[?1049h$ ls\r\n');
    expect(s.offset).toBe(506);
    expect(s.state).toBe('attached');
  });

  it('refuses input while not attached and sends it once attached', () => {
    // Bad input: keys typed before the attach answer or during a reconnect must not vanish silently.
    const sc = screen();
    const s = make(sc);
    s.start();
    expect(s.input('a')).toBe(false);
    TermSocket.all[0].open();
    expect(s.input('a')).toBe(false);
    TermSocket.all[0].text({ type: 'auth.ok' });
    expect(s.input('a')).toBe(false);
    TermSocket.all[0].text({ type: 'attached', offset: 0 });
    expect(s.input('ls\r')).toBe(true);
    expect(TermSocket.all[0].sent.at(-1)).toBe('0ls\r');
    TermSocket.all[0].drop();
    expect(s.state).toBe('reconnecting');
    expect(s.input('x')).toBe(false);
  });

  it('re-attaches after a drop at the screen offset, with back-off, and keeps the screen', () => {
    const sc = screen();
    const s = make(sc);
    s.start();
    TermSocket.all[0].attach(0);
    TermSocket.all[0].frame('0hello\r\n');
    TermSocket.all[0].drop(1006);
    expect(s.state).toBe('reconnecting');
    // Back-off: nothing before 100 ms; a second failure waits 200 ms.
    vi.advanceTimersByTime(99);
    expect(TermSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(TermSocket.all).toHaveLength(2);
    TermSocket.all[1].drop(1006);
    vi.advanceTimersByTime(199);
    expect(TermSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    const third = TermSocket.all[2];
    third.open();
    third.text({ type: 'auth.ok' });
    expect(third.sent[1]).toEqual({ type: 'attach', cols: 100, rows: 30, offset: 7 });
    third.text({ type: 'attached', offset: 7, restore: '' });
    third.frame('0world\r\n');
    // One reset only: the first attach.
    expect(sc.log).toEqual(['reset:']);
    expect(sc.shown).toBe('hello\r\nworld\r\n');
    expect(s.state).toBe('attached');
    // A later drop starts the back-off again at its first step.
    third.drop(1006);
    vi.advanceTimersByTime(100);
    expect(TermSocket.all).toHaveLength(4);
  });

  it('starts the screen afresh when the server no longer holds its offset', () => {
    // Bad input: the ring moved past the screen's offset during a long disconnect; appending the
    // replay would duplicate lines.
    const sc = screen();
    const s = make(sc);
    s.start();
    TermSocket.all[0].attach(0);
    TermSocket.all[0].frame('0old\r\n');
    TermSocket.all[0].drop();
    vi.advanceTimersByTime(100);
    TermSocket.all[1].attach(9000, '\x1b[?25l');
    TermSocket.all[1].frame('0newer\r\n');
    expect(sc.log).toEqual(['reset:', 'reset:\x1b[?25l']);
    expect(sc.shown).toBe('\x1b[?25lnewer\r\n');
    expect(s.offset).toBe(9007);
  });

  it('acknowledges what the screen consumed, never more, at once past the threshold', () => {
    // Bad input: acknowledging bytes on arrival (before the screen wrote them) defeats flow control.
    const sc = screen();
    const s = make(sc);
    s.start();
    const sock = TermSocket.all[0];
    sock.attach(100);
    sock.frame('0abcd');
    vi.advanceTimersByTime(50);
    expect(sock.sent.filter((m) => typeof m === 'string' && m.startsWith('2'))).toEqual([]);
    sc.consumeAll();
    expect(sock.sent.at(-1)).not.toBe('2{"offset":104}');
    vi.advanceTimersByTime(10);
    expect(sock.sent.at(-1)).toBe('2{"offset":104}');
    sock.frame('0' + 'x'.repeat(20));
    sc.consumeAll();
    expect(sock.sent.at(-1)).toBe('2{"offset":124}');
    expect(s.offset).toBe(124);
  });

  it('ignores consumed() of a screen that was reset', () => {
    const sc = screen();
    const s = make(sc);
    s.start();
    TermSocket.all[0].attach(0);
    TermSocket.all[0].frame('0' + 'a'.repeat(10));
    const stale = sc.pending.splice(0);
    TermSocket.all[0].drop();
    vi.advanceTimersByTime(100);
    TermSocket.all[1].attach(5000);
    stale.forEach((f) => f());
    vi.advanceTimersByTime(50);
    expect(TermSocket.all[1].sent.filter((m) => typeof m === 'string' && m.startsWith('2'))).toEqual([]);
    expect(s.offset).toBe(5000);
  });

  it('sends a resize when attached, and the latest size with the next attach', () => {
    const sc = screen();
    const s = make(sc);
    s.start();
    s.resize(90, 20);
    TermSocket.all[0].open();
    TermSocket.all[0].text({ type: 'auth.ok' });
    expect(TermSocket.all[0].sent[1]).toEqual({ type: 'attach', cols: 90, rows: 20, offset: null });
    TermSocket.all[0].text({ type: 'attached', offset: 0 });
    s.resize(90, 20);
    expect(TermSocket.all[0].sent).toHaveLength(2);
    s.resize(132, 43);
    expect(TermSocket.all[0].sent.at(-1)).toBe('1{"cols":132,"rows":43}');
  });

  it('shows the title and the exit, refuses input after it, and does not reconnect once ended', () => {
    const sc = screen();
    const s = make(sc);
    s.start();
    const sock = TermSocket.all[0];
    sock.attach(0);
    sock.frame('1vim a.py');
    sock.frame('0bye\r\n');
    sock.frame('2{"code":3,"signal":null}');
    expect(sc.log).toEqual(['reset:', 'title:vim a.py', 'exit:3/null']);
    expect(s.state).toBe('exited');
    expect(s.exit).toEqual({ code: 3, signal: null });
    expect(s.input('x')).toBe(false);
    sock.drop(1000);
    vi.advanceTimersByTime(10_000);
    expect(TermSocket.all).toHaveLength(1);
    expect(s.state).toBe('exited');
  });

  it('stops for good on a refused token, a gone terminal or a bad frame', () => {
    for (const [code, state] of [
      [4401, 'failed'],
      [4404, 'gone'],
      [4400, 'failed'],
    ] as const) {
      TermSocket.all = [];
      const sc = screen();
      const s = make(sc);
      s.start();
      TermSocket.all[0].open();
      TermSocket.all[0].drop(code, 'why');
      vi.advanceTimersByTime(10_000);
      expect(TermSocket.all).toHaveLength(1);
      expect(s.state).toBe(state);
    }
  });

  it('drops a connection that never attaches and makes another', () => {
    // Bad input: a half-open connection (the network vanished without a close).
    const sc = screen();
    const s = make(sc);
    s.start();
    TermSocket.all[0].open();
    vi.advanceTimersByTime(10_000);
    expect(TermSocket.all[0].closed).toBe(true);
    vi.advanceTimersByTime(100);
    expect(TermSocket.all).toHaveLength(2);
    expect(s.state).toBe('connecting');
  });

  it('fails without a token and never opens a socket', () => {
    const sc = screen();
    const s = make(sc, null);
    s.start();
    expect(TermSocket.all).toHaveLength(0);
    expect(s.state).toBe('failed');
  });

  it('stop() closes the socket and delivers nothing more', () => {
    const sc = screen();
    const s = make(sc);
    s.start();
    const sock = TermSocket.all[0];
    sock.attach(0);
    s.stop();
    expect(sock.closed).toBe(true);
    sock.frame('0late');
    expect(sc.shown).toBe('');
    expect(s.state).toBe('stopped');
  });
});
