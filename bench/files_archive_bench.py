#!/usr/bin/env python3
"""A folder's .tar.gz (GET /api/v1/files/archive, issue 10), measured against the real server.

usage: files_archive_bench.py BUILD_DIR [--save] [--mib N]

Builds a folder of N MiB (default 1024: incompressible 16 MiB files, the way checkpoints are, plus
2,000 small text files and a few links), serves it as project "bench" and prints one table:
- a fast client: the whole archive read as fast as it comes, checked by `tar -tz` reading the
  same stream (every entry listed, exit 0); throughput of folder bytes; the server's resident
  memory (VmRSS, sampled every 20 ms) before and at its peak;
- a slow client (4 MiB/s for 6 s) that then disconnects: peak RSS while it lags, and RSS and
  health after it left (the producer must stop and let go of its buffers).
"""
import http.client, json, os, shutil, socket, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-password-1"
MiB = 1 << 20


def make_folder(folder, mib):
    big_files = max(1, mib // 16)
    os.makedirs(f"{folder}/checkpoints")
    for i in range(big_files):
        with open(f"{folder}/checkpoints/step-{i:04d}.pt", "wb") as f:
            for _ in range(16):
                f.write(os.urandom(MiB))
    for i in range(2000):
        os.makedirs(f"{folder}/logs/{i // 100:02d}", exist_ok=True)
        with open(f"{folder}/logs/{i // 100:02d}/run-{i}.log", "w") as f:
            f.write(f"step {i} loss {1.0 / (i + 1):.6f}\n" * 20)
    os.symlink("checkpoints/step-0000.pt", f"{folder}/latest.pt")
    os.symlink("/etc/passwd", f"{folder}/outside-link")
    return big_files * 16 * MiB, big_files + 2000 + 2


class Server:
    def __init__(self, binary, project):
        self.dir = tempfile.mkdtemp(prefix="ailab-files-bench-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = {"host": "127.0.0.1", "port": self.port, "users": {"admin": PASSWORD},
                  "workspace": self.dir + "/workspace", "results": self.dir + "/results",
                  "queue": self.dir + "/state", "projects": {"bench": project}}
        for d in ("workspace", "results"):
            os.makedirs(f"{self.dir}/{d}")
        with open(self.dir + "/config.json", "w") as f:
            json.dump(config, f)
        self.log = open(self.dir + "/server.log", "ab")
        self.proc = subprocess.Popen([binary, self.dir + "/config.json"], stdout=self.log, stderr=self.log)
        for _ in range(500):
            try:
                self.status("/api/v1/health")
                break
            except OSError:
                time.sleep(0.02)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("POST", "/api/v1/login", body=json.dumps({"user": "admin", "password": PASSWORD}),
                           headers={"Content-Type": "application/json"})
        self.token = json.loads(connection.getresponse().read())["token"]

    def status(self, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", path, headers={"Authorization": "Bearer " + getattr(self, "token", "")})
        response = connection.getresponse()
        response.read()
        return response.status

    def open_archive(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request("GET", "/api/v1/files/archive?root=project:bench",
                           headers={"Authorization": "Bearer " + self.token})
        response = connection.getresponse()
        assert response.status == 200, response.read()
        return connection, response

    def rss_kib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class RssSampler:
    """The server's peak VmRSS while a `with` block runs."""

    def __init__(self, server):
        self.server, self.peak, self.running = server, 0, True

    def __enter__(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.server.rss_kib())
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def main():
    build = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "build"
    save = "--save" in sys.argv
    mib = int(sys.argv[sys.argv.index("--mib") + 1]) if "--mib" in sys.argv else 1024
    data = tempfile.mkdtemp(prefix="ailab-files-bench-data-")
    server = None
    try:
        folder_bytes, entries = make_folder(data + "/bench", mib)
        server = Server(os.path.join(ROOT, build, "ailab"), data + "/bench")
        server.status("/api/v1/health")
        rss_before = server.rss_kib()

        # Fast client, checked by tar reading the same stream.
        tar = subprocess.Popen(["tar", "-tzf", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        listed = []
        reader = threading.Thread(target=lambda: listed.extend(tar.stdout.read().splitlines()), daemon=True)
        reader.start()
        compressed = 0
        with RssSampler(server) as fast:
            start = time.perf_counter()
            connection, response = server.open_archive()
            while chunk := response.read(MiB):
                compressed += len(chunk)
                tar.stdin.write(chunk)
            seconds = time.perf_counter() - start
        tar.stdin.close()
        tar.wait()
        reader.join()
        connection.close()
        assert tar.returncode == 0, "tar could not read the archive"
        # Every file, folder and link is an entry, and the top folder one more.
        assert len(listed) >= entries, f"tar listed {len(listed)} entries, expected at least {entries}"
        rss_after_fast = server.rss_kib()

        # Slow client that leaves early.
        slow_bytes = 0
        with RssSampler(server) as slow:
            connection, response = server.open_archive()
            until = time.perf_counter() + 6
            while time.perf_counter() < until:
                chunk = response.read(256 * 1024)
                slow_bytes += len(chunk)
                time.sleep(256 * 1024 / (4 * MiB))
            connection.sock.shutdown(socket.SHUT_RDWR)
            connection.close()
            time.sleep(1)
        health = server.status("/api/v1/health")
        rss_end = server.rss_kib()

        rows = [
            ("folder", f"{folder_bytes / MiB:.0f} MiB in {entries} entries ({mib // 16} files of 16 MiB, random)"),
            ("archive, fast client", f"{seconds:.2f} s, {folder_bytes / MiB / seconds:.0f} MiB/s of folder bytes, "
                                     f"{compressed / MiB:.0f} MiB sent; tar -tz listed {len(listed)} entries"),
            ("server RSS before", f"{rss_before / 1024:.1f} MiB"),
            ("server RSS peak, fast client", f"{fast.peak / 1024:.1f} MiB (+{(fast.peak - rss_before) / 1024:.1f})"),
            ("server RSS after it", f"{rss_after_fast / 1024:.1f} MiB"),
            ("server RSS peak, slow client (4 MiB/s, 6 s)",
             f"{slow.peak / 1024:.1f} MiB (+{(slow.peak - rss_before) / 1024:.1f}), read {slow_bytes / MiB:.0f} MiB"),
            ("after the slow client left", f"RSS {rss_end / 1024:.1f} MiB, health {health}"),
        ]
        table = "| measure | value |\n| --- | --- |\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
        print(table)
        if save:
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "save_results.py"), "Files archive", table,
                            "Server: ailab on loopback; client: Python http.client; RSS is /proc/<pid>/status VmRSS "
                            "sampled every 20 ms. Target (issue 10): resident memory flat for a 1 GB folder."],
                           check=True)
    finally:
        if server:
            server.close()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
