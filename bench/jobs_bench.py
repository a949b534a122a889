#!/usr/bin/env python3
"""Job host figures (issue 9), measured against the real server on loopback.

usage: jobs_bench.py BUILD_DIR [--save] [--quick]

Prints one table:
- submit -> running: POST /api/v1/jobs until the job's first instruction ran, p50/p90, beside
  task-spooler (`tsp`) measured in the same run with the same command;
- `ailab submit` of a 1,000-file 20 MB project: first sync, and a resubmit after one edit;
- 10,000 queued jobs: GET /api/v1/jobs?limit=100, and the server's idle CPU;
- a job printing 100 MB: throughput to a WebSocket client, bytes checked, server RSS growth;
- kill -9 of the server with 4 running and 20 queued jobs: lost, run twice, output bytes kept.
"""
import base64, hashlib, http.client, json, os, shutil, signal, socket, statistics, struct, subprocess
import sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-password-1"


class Server:
    def __init__(self, binary, gpus, extra=None):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="ailab-jobs-bench-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = {"host": "127.0.0.1", "port": self.port, "users": {"admin": PASSWORD},
                  "workspace": self.dir + "/workspace", "results": self.dir + "/results",
                  "queue": self.dir + "/state", "gpus": gpus, "cancel_grace_s": 1}
        config.update(extra or {})
        for d in ("workspace", "results"):
            os.makedirs(f"{self.dir}/{d}")
        with open(self.dir + "/config.json", "w") as f:
            json.dump(config, f)
        self.proc = None
        self.start()

    def start(self):
        # No NVML (bookkeeping alone); a home of its own inside the temp folder, so the terminal
        # bench's shells write their history there.
        os.makedirs(self.dir + "/home", exist_ok=True)
        env = dict(os.environ, LD_LIBRARY_PATH="/nonexistent", HOME=self.dir + "/home")
        self.log = open(self.dir + "/server.log", "ab")
        self.proc = subprocess.Popen([self.binary, self.dir + "/config.json"], stdout=self.log, stderr=self.log, env=env)
        for _ in range(500):
            try:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request("GET", "/api/v1/health")
                self.conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.02)
        self.token = self.call("POST", "/api/v1/login", {"user": "admin", "password": PASSWORD})[1]["token"]

    def call(self, method, path, body=None, raw=False):
        headers = {"Content-Type": "application/json"}
        if getattr(self, "token", None):
            headers["Authorization"] = "Bearer " + self.token
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, (data if raw else json.loads(data) if data else None)

    def submit(self, body):
        status, answer = self.call("POST", "/api/v1/jobs", body)
        assert status == 201, answer
        return answer["job"]["id"]

    def job(self, job_id):
        return self.call("GET", f"/api/v1/jobs/{job_id}")[1]["job"]

    def wait_ended(self, job_id, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            job = self.job(job_id)
            if job["state"] in ("done", "failed", "cancelled"):
                return job
            time.sleep(0.02)
        raise RuntimeError(f"job {job_id} did not end")

    def rss_kib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def wait_file(path, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except OSError:
            pass
        time.sleep(0.0002)
    raise RuntimeError("timed out waiting for " + path)


def submit_latency(binary, runs):
    server = Server(binary, [])
    marks = tempfile.mkdtemp(prefix="ailab-marks-")
    ailab, tsp = [], []
    try:
        for i in range(runs + 3):
            path = f"{marks}/a{i}"
            t0 = time.time_ns()
            server.submit({"command": ["/bin/sh", "-c", f"date +%s%N > {path}"], "gpus": 0})
            started = wait_file(path)
            if i >= 3:
                ailab.append((started - t0) / 1e6)
        env = dict(os.environ, TS_SOCKET=f"{marks}/tsp.socket", TMPDIR=marks)
        subprocess.run(["tsp", "-S", "1"], env=env, check=True, capture_output=True)
        for i in range(runs + 3):
            path = f"{marks}/t{i}"
            t0 = time.time_ns()
            subprocess.run(["tsp", "/bin/sh", "-c", f"date +%s%N > {path}"], env=env, check=True, capture_output=True)
            started = wait_file(path)
            if i >= 3:
                tsp.append((started - t0) / 1e6)
        subprocess.run(["tsp", "-K"], env=env, capture_output=True)
    finally:
        server.close()
        shutil.rmtree(marks, ignore_errors=True)
    return ailab, tsp


def make_project(folder, files=1000, total=20 * 2**20):
    size = total // files
    for i in range(files):
        sub = f"{folder}/pkg{i % 20}"
        os.makedirs(sub, exist_ok=True)
        with open(f"{sub}/file{i}.py", "wb") as f:
            f.write(os.urandom(size))


def sync_figures(binary):
    server = Server(binary, [])
    project = tempfile.mkdtemp(prefix="ailab-project-")
    config_home = tempfile.mkdtemp(prefix="ailab-cred-")
    env = dict(os.environ, XDG_CONFIG_HOME=config_home)
    url = f"http://127.0.0.1:{server.port}"
    try:
        make_project(project)
        login = subprocess.run([binary, "login", url, "--user", "admin", "--password-stdin"], input=PASSWORD + "\n",
                               env=env, capture_output=True, text=True)
        if login.returncode != 0:
            return None, None, "ailab login failed: " + login.stderr.strip()[-200:]
        def submit():
            t0 = time.perf_counter()
            done = subprocess.run([binary, "submit", "--server", url, "--gpus", "0", "--dir", project, "--", "true"],
                                  env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
            if done.returncode != 0:
                raise RuntimeError(done.stderr[-300:])
            return elapsed, int(done.stdout.strip().split()[-1])
        first, first_id = submit()
        resubmits, uploaded = [], []
        for i in range(5):  # the median of five one-file edits
            with open(f"{project}/pkg{i}/file{i}.py", "ab") as f:
                f.write(b"# edited\n")
            elapsed, job_id = submit()
            resubmits.append(elapsed)
            uploaded.append(server.job(job_id)["sync"]["uploaded_files"])
        return first, statistics.median(resubmits), f"median of 5; each uploaded {'/'.join(map(str, uploaded))} file(s)"
    except Exception as error:  # the CLI may not exist on an old build
        return None, None, str(error)[:200]
    finally:
        server.close()
        shutil.rmtree(project, ignore_errors=True)
        shutil.rmtree(config_home, ignore_errors=True)


def queue_figures(binary, count):
    server = Server(binary, [0])
    try:
        blocker = server.submit({"shell": "sleep 600", "gpus": 1})
        t0 = time.perf_counter()
        for i in range(count):
            server.submit({"command": ["true"], "gpus": 1, "name": f"queued {i}"})
        submit_rate = count / (time.perf_counter() - t0)
        times = []
        for _ in range(50):
            t0 = time.perf_counter()
            status, answer = server.call("GET", "/api/v1/jobs?limit=100")
            times.append((time.perf_counter() - t0) * 1000)
            assert status == 200 and len(answer["jobs"]) == 100
        time.sleep(2)
        cpu0, wall0 = server.cpu_seconds(), time.time()
        time.sleep(10)
        idle = (server.cpu_seconds() - cpu0) / (time.time() - wall0) * 100
        server.call("POST", f"/api/v1/jobs/{blocker}/cancel")
        server.wait_ended(blocker)
        return statistics.median(times), idle, submit_rate
    finally:
        server.close()


def ws_connect(port, path, token):
    sock = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0], head

    def send(text):
        data = text.encode()
        mask = os.urandom(4)
        header = bytes([0x81, 0x80 | len(data)]) if len(data) < 126 else bytes([0x81, 0xFE]) + struct.pack(">H", len(data))
        sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    send(json.dumps({"type": "auth", "token": token}))
    return sock, send


def read_frames(sock):
    """Yields (opcode, payload) of the server's (unmasked) frames, reading in 1 MiB pieces."""
    buffer, at = bytearray(), 0

    def need(n):
        nonlocal buffer, at
        while len(buffer) - at < n:
            chunk = sock.recv(1 << 20)
            if not chunk:
                return False
            if at > (1 << 20):  # drop what was consumed, rarely, so copying stays linear
                del buffer[:at]
                at = 0
            buffer += chunk
        return True

    while True:
        if not need(2):
            return
        opcode, length = buffer[at] & 0x0F, buffer[at + 1] & 0x7F
        header = 2
        if length == 126:
            if not need(4):
                return
            length, header = struct.unpack(">H", buffer[at + 2:at + 4])[0], 4
        elif length == 127:
            if not need(10):
                return
            length, header = struct.unpack(">Q", buffer[at + 2:at + 10])[0], 10
        if not need(header + length):
            return
        payload = bytes(buffer[at + header:at + header + length])
        at += header + length
        yield opcode, payload
        if opcode == 8:
            return


def stream_figures(binary, megabytes):
    server = Server(binary, [])
    try:
        source = server.dir + "/source.bin"
        with open(source, "wb") as f:  # written beforehand, so the job prints as fast as the disk cache
            for _ in range(megabytes):
                f.write(os.urandom(1 << 20))
        rss_before = server.rss_kib()
        job = server.submit({"shell": f"cat {source}", "gpus": 0})
        sock, send = ws_connect(server.port, f"/api/v1/jobs/{job}/output/ws", server.token)
        peak = [rss_before]
        stop = threading.Event()
        def watch():
            while not stop.is_set():
                peak[0] = max(peak[0], server.rss_kib())
                time.sleep(0.01)
        watcher = threading.Thread(target=watch)
        watcher.start()
        frames = read_frames(sock)
        assert next(frames)[0] == 1  # auth.ok
        send(json.dumps({"type": "resume", "offset": 0}))
        digest, received, t0, end, kind = hashlib.blake2b(digest_size=32), 0, None, None, None
        for opcode, payload in frames:
            if opcode in (1, 2):
                kind = opcode
            elif opcode == 0:
                opcode = kind  # a continuation frame belongs to the message it continues
            if opcode == 2:
                t0 = t0 or time.perf_counter()
                digest.update(payload)
                received += len(payload)
            elif opcode == 1:
                end = json.loads(payload)
                break
        elapsed = time.perf_counter() - t0
        stop.set()
        watcher.join()
        sock.close()
        expected = hashlib.blake2b(digest_size=32)  # the job's output.log is the truth
        with open(f"{server.dir}/state/jobs/{job}/output.log", "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                expected.update(block)
        ok = end is not None and end.get("output_bytes") == received and digest.digest() == expected.digest()
        return received / elapsed / 1e6, (peak[0] - rss_before) / 1024, received, ok
    finally:
        server.close()


def crash_figures(binary):
    server = Server(binary, [0, 1, 2, 3])
    ledger = server.dir + "/ledger"
    try:
        ids = [server.submit({"shell": f"echo $AILAB_JOB_ID >> {ledger}; for i in $(seq 1 20); do echo $AILAB_JOB_ID-$i; "
                                       "sleep 0.03; done", "gpus": 1}) for _ in range(24)]
        deadline = time.time() + 10
        while sum(server.job(i)["state"] == "running" for i in ids[:4]) < 4 and time.time() < deadline:
            time.sleep(0.01)
        server.kill9()
        time.sleep(0.5)
        server.start()
        jobs = [server.wait_ended(i) for i in ids]
        starts = [int(line) for line in open(ledger).read().split()]
        lost = sum(job["state"] != "done" for job in jobs)
        twice = sum(starts.count(i) > 1 for i in ids)
        kept = all(server.call("GET", f"/api/v1/jobs/{i}/output", raw=True)[1] ==
                   "".join(f"{i}-{n}\n" for n in range(1, 21)).encode() for i in ids)
        return lost, twice, kept
    finally:
        server.close()


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    save, quick = "--save" in sys.argv, "--quick" in sys.argv
    binary = os.path.abspath(os.path.join(ROOT, build, "ailab"))
    rows = []
    if shutil.which("tsp"):
        ailab, tsp = submit_latency(binary, 20 if quick else 100)
        rows.append(("submit → job running, p50 (ailab / tsp)", f"{statistics.median(ailab):.2f} ms / {statistics.median(tsp):.2f} ms",
                     "≤ 2× tsp", "ok" if statistics.median(ailab) <= 2 * statistics.median(tsp) else "MISSED"))
        rows.append(("submit → job running, p90 (ailab / tsp)", f"{percentile(ailab, 90):.2f} ms / {percentile(tsp, 90):.2f} ms", "", ""))
    else:
        rows.append(("submit → job running", "tsp not installed (apt-get install task-spooler)", "", ""))
    first, second, note = sync_figures(binary)
    if first is not None:
        rows.append(("`ailab submit`, 1,000 files / 20 MB, first sync", f"{first * 1000:.0f} ms", "≤ 1000 ms", "ok" if first <= 1 else "MISSED"))
        rows.append((f"resubmit after one edit ({note})", f"{second * 1000:.0f} ms", "≤ 150 ms", "ok" if second <= 0.15 else "MISSED"))
    else:
        rows.append(("`ailab submit`", "n/a: " + note, "", ""))
    count = 1000 if quick else 10000
    list_ms, idle, rate = queue_figures(binary, count)
    rows.append((f"GET /jobs?limit=100 with {count:,} queued, p50", f"{list_ms:.2f} ms", "≤ 20 ms", "ok" if list_ms <= 20 else "MISSED"))
    rows.append((f"idle server CPU with {count:,} queued", f"{idle:.2f} %", "≤ 0.5 %", "ok" if idle <= 0.5 else "MISSED"))
    rows.append(("submits per second, one keep-alive client", f"{rate:,.0f}", "", ""))
    rate_mb, growth, received, ok = stream_figures(binary, 10 if quick else 100)
    rows.append((f"job output {received / 1e6:.0f} MB over the WebSocket", f"{rate_mb:.0f} MB/s, bytes {'identical' if ok else 'DIFFER'}",
                 "≥ 100 MB/s", "ok" if rate_mb >= 100 and ok else "MISSED"))
    rows.append(("server RSS growth while streaming", f"{growth:.1f} MB", "≤ 20 MB", "ok" if growth <= 20 else "MISSED"))
    lost, twice, kept = crash_figures(binary)
    rows.append(("kill -9 with 4 running + 20 queued: lost / run twice", f"{lost} / {twice}", "0 / 0", "ok" if lost == 0 and twice == 0 else "MISSED"))
    rows.append(("every output byte kept after the restart", "yes" if kept else "NO", "yes", "ok" if kept else "MISSED"))

    table = "| figure | measured | target | |\n| --- | --- | --- | --- |\n" + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    print(table)
    if save:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "save_results.py"), "Jobs", table,
                        "Measured by `python3 bench/jobs_bench.py build --save` (part of `make bench`). ailab's submit is one "
                        "POST on a keep-alive connection; tsp's is its client process, as users call each. The command is "
                        "`sh -c 'date +%s%N > file'` for both."], check=True)


if __name__ == "__main__":
    main()
