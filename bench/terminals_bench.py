#!/usr/bin/env python3
"""Terminal figures (issue 11), measured against the real server on loopback.

usage: terminals_bench.py BUILD_DIR [--save] [--quick]

Prints one table:
- keystroke echo round trip through the server (client -> WebSocket -> pty -> program echo ->
  pty -> WebSocket -> client), p50/p99, beside the same program on a local pty with no server;
- throughput of `head -c` of 100 MB of random bytes to a client that acknowledges, bytes checked,
  and the server's RSS growth meanwhile;
- memory per idle terminal: the server's RSS growth per open login shell (after each printed a
  screenful and its client left), and the shell's own RSS beside it.
ttyd is not in this machine's package sources, so the baseline is the bare local pty.
"""
import hashlib, json, os, pty, select, struct, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jobs_bench import ROOT, Server, percentile, read_frames  # noqa: E402
import base64, socket  # noqa: E402


def frame(opcode, data):
    mask = os.urandom(4)
    n = len(data)
    if n < 126:
        header = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        header = bytes([0x80 | opcode, 0xFE]) + struct.pack(">H", n)
    else:
        header = bytes([0x80 | opcode, 0xFF]) + struct.pack(">Q", n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return header + mask + masked


class Terminal:
    """A client of /api/v1/terminals/{id}/ws: attach, then binary frames."""

    def __init__(self, server, terminal_id, offset=0):
        self.sock = socket.create_connection(("127.0.0.1", server.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /api/v1/terminals/{terminal_id}/ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.frames = read_frames(self.sock)
        self.sock.sendall(frame(1, json.dumps({"type": "auth", "token": server.token}).encode()))
        assert json.loads(next(self.frames)[1])["type"] == "auth.ok"
        self.sock.sendall(frame(1, json.dumps({"type": "attach", "cols": 80, "rows": 24, "offset": offset}).encode()))
        attached = json.loads(next(self.frames)[1])
        assert attached["type"] == "attached", attached
        self.offset = attached["offset"]

    def type(self, data):
        self.sock.sendall(frame(2, b"0" + data))

    def acknowledge(self):
        self.sock.sendall(frame(2, b"2" + json.dumps({"offset": self.offset}).encode()))

    def output(self):
        """The next output payload (acknowledging every 256 KiB), or None at the exit frame."""
        for opcode, payload in self.frames:
            if opcode == 2 and payload[:1] == b"0":
                before = self.offset
                self.offset += len(payload) - 1
                if self.offset // (1 << 18) != before // (1 << 18):
                    self.acknowledge()
                return payload[1:]
            if opcode == 2 and payload[:1] == b"2":
                return None
        return None

    def read_until(self, marker):
        seen = b""
        while marker not in seen:
            chunk = self.output()
            if chunk is None:
                raise RuntimeError("terminal ended before " + repr(marker))
            seen = (seen + chunk)[-4096:]

    def close(self):
        self.sock.close()


def open_terminal(server, command):
    status, answer = server.call("POST", "/api/v1/terminals", {"command": command, "cols": 80, "rows": 24})
    assert status == 201, answer
    return answer["terminal"]["id"]


ECHO_PROGRAM = "stty raw -echo; echo READY; exec cat"


def echo_figures(binary, keystrokes):
    server = Server(binary, [])
    try:
        client = Terminal(server, open_terminal(server, ECHO_PROGRAM))
        client.read_until(b"READY")
        times = []
        for index in range(keystrokes):
            key = bytes([97 + index % 26])
            t0 = time.perf_counter()
            client.type(key)
            got = b""
            while key not in got:
                got += client.output()
            times.append((time.perf_counter() - t0) * 1000)
        client.close()
        return times
    finally:
        server.close()


def local_pty_echo(keystrokes):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("sh", ["sh", "-c", ECHO_PROGRAM])
    got = b""
    while b"READY" not in got:
        got += os.read(fd, 4096)
    times = []
    for index in range(keystrokes):
        key = bytes([97 + index % 26])
        t0 = time.perf_counter()
        os.write(fd, key)
        got = b""
        while key not in got:
            select.select([fd], [], [])
            got += os.read(fd, 4096)
        times.append((time.perf_counter() - t0) * 1000)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return times


def local_pty_throughput(source, total):
    """The same `head -c` on a local pty read by this process: what the pty itself allows here."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("sh", ["sh", "-c", f"stty raw -echo; sleep 0.3; head -c {total} {source}"])
    received, t0 = 0, None
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        t0 = t0 or time.perf_counter()
        received += len(chunk)
    elapsed = time.perf_counter() - t0
    os.waitpid(pid, 0)
    return received / elapsed / 1e6


def throughput_figures(binary, megabytes):
    server = Server(binary, [])
    try:
        source = server.dir + "/source.bin"
        with open(source, "wb") as f:
            for _ in range(megabytes):
                f.write(os.urandom(1 << 20))
        expected = hashlib.blake2b(digest_size=32)
        with open(source, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                expected.update(block)
        terminal_id = open_terminal(server, f"stty raw -echo; sleep 0.3; head -c {megabytes << 20} {source}")
        rss_before = server.rss_kib()
        client = Terminal(server, terminal_id)
        digest, received, peak, t0 = hashlib.blake2b(digest_size=32), 0, rss_before, None
        while True:
            chunk = client.output()
            if chunk is None:
                break
            t0 = t0 or time.perf_counter()
            digest.update(chunk)
            received += len(chunk)
            if received % (8 << 20) < len(chunk):
                peak = max(peak, server.rss_kib())
        elapsed = time.perf_counter() - t0
        peak = max(peak, server.rss_kib())
        client.close()
        bare = local_pty_throughput(source, megabytes << 20)
        return (received / elapsed / 1e6, (peak - rss_before) / 1024, received, digest.digest() == expected.digest(),
                bare)
    finally:
        server.close()


def idle_figures(binary, count):
    server = Server(binary, [], {"max_terminals": count + 1})
    try:
        time.sleep(0.5)
        rss_before = server.rss_kib()
        shells = []
        for _ in range(count):
            terminal_id = open_terminal(server, None)
            client = Terminal(server, terminal_id)
            client.type(b"ls -la /usr/bin | tail -30; echo DONE-$((1+1))\r")
            client.read_until(b"DONE-2")
            client.close()
            shells.append(terminal_id)
        time.sleep(1)
        per_terminal = (server.rss_kib() - rss_before) / count
        children = subprocess.run(["ps", "--ppid", str(server.proc.pid), "-o", "rss="], capture_output=True, text=True)
        rss = [int(x) for x in children.stdout.split()]
        return per_terminal, sum(rss) / max(len(rss), 1)
    finally:
        server.close()


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    save, quick = "--save" in sys.argv, "--quick" in sys.argv
    binary = os.path.abspath(os.path.join(ROOT, build, "ailab"))
    keystrokes = 200 if quick else 2000
    rows = []
    times, local = echo_figures(binary, keystrokes), local_pty_echo(keystrokes)
    p99 = percentile(times, 99)
    rows.append((f"keystroke echo round trip, {keystrokes} keys, p50 / p99 (ailab / bare local pty)",
                 f"{percentile(times, 50):.3f} / {p99:.3f} ms ({percentile(local, 50):.3f} / {percentile(local, 99):.3f} ms)",
                 "p99 ≤ 5 ms", "ok" if p99 <= 5 else "MISSED"))
    rate, growth, received, ok, bare = throughput_figures(binary, 10 if quick else 100)
    rows.append((f"`head -c` of {received / 1e6:.0f} MB to an acknowledging client (bare local pty)",
                 f"{rate:.0f} MB/s, bytes {'identical' if ok else 'DIFFER'} ({bare:.0f} MB/s)",
                 "≥ 100 MB/s", "ok" if rate >= 100 and ok else "MISSED"))
    rows.append(("server RSS growth meanwhile", f"{growth:.1f} MB", "≤ 10 MB", "ok" if growth <= 10 else "MISSED"))
    count = 10 if quick else 50
    per_terminal, shell = idle_figures(binary, count)
    rows.append((f"server memory per idle terminal ({count} login shells, a screenful each)", f"{per_terminal / 1024:.2f} MB",
                 "≤ 5 MB beyond its scrollback", "ok" if per_terminal / 1024 <= 5 else "MISSED"))
    rows.append(("the login shell's own RSS (its process)", f"{shell / 1024:.1f} MB", "", ""))
    table = "| figure | measured | target | |\n| --- | --- | --- | --- |\n" + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    print(table)
    if save:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "save_results.py"), "Terminals", table,
                        "Measured by `python3 bench/terminals_bench.py build --save` (part of `make bench`). The echo "
                        "program is `stty raw -echo; exec cat` (the program echoes, as a shell's readline does); the "
                        "baseline is that program (and the same `head -c`) on a local pty read by the same Python process, no "
                        "server. ttyd is "
                        "not in this machine's package sources, so it was not measured."], check=True)


if __name__ == "__main__":
    main()
