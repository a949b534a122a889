#!/usr/bin/env python3
"""The Slurm executor's figures (issue 14), against a real one-node Slurm started here
(scripts/slurm-up.sh: munged, slurmctld, slurmd from Debian's slurm-wlm) and the real server.

usage: slurm_bench.py BUILD_DIR [--jobs N] [--rounds N]

Prints one table:
- submit -> running, side by side: a bare `sbatch` of a script whose first line writes the time,
  and POST /api/v1/jobs of the same command through AI Lab (interleaved, `rounds` each); and the
  submit call alone (sbatch's CLI vs the HTTP answer, which includes AI Lab's own sbatch call);
- N jobs (default 1000) submitted through AI Lab (held in Slurm with --hold, so none runs): the
  server's own CPU (utime + stime of its process, not of the sbatch children) for all of them;
- the state poll with those N jobs in Slurm: the server's CPU per poll (slurm_poll_s = 1, over
  10 s), and squeue --json's own wall time for reference.
Needs root (slurmd). Cleans up: scancel, the daemons stopped, the temp folders removed.
"""
import http.client, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-password-1"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime, not the children's


class Server:
    def __init__(self, binary, shared, extra_args):
        self.dir = tempfile.mkdtemp(prefix="ailab-slurm-bench-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = {"host": "127.0.0.1", "port": self.port, "users": {"admin": PASSWORD},
                  "workspace": self.dir + "/workspace", "results": self.dir + "/results",
                  "queue": self.dir + "/state", "gpus": [], "slurm_poll_s": 1,
                  "executor": {"type": "slurm", "shared_dir": shared, "extra_args": extra_args}}
        for d in ("workspace", "results", "home"):
            os.makedirs(f"{self.dir}/{d}")
        with open(self.dir + "/config.json", "w") as f:
            json.dump(config, f)
        env = dict(os.environ, HOME=self.dir + "/home")
        self.log = open(self.dir + "/server.log", "ab")
        self.proc = subprocess.Popen([binary, self.dir + "/config.json"], stdout=self.log, stderr=self.log, env=env)
        for _ in range(500):
            try:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request("GET", "/api/v1/health")
                self.conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.02)
        self.token = None
        self.token = self.call("POST", "/api/v1/login", {"user": "admin", "password": PASSWORD})[1]["token"]

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None

    def submit(self, body):
        status, answer = self.call("POST", "/api/v1/jobs", body)
        assert status == 201, answer
        return answer["job"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_for_file(path, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return float(text)
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{path} never appeared")


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    jobs = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else 1000
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 10
    binary = os.path.join(ROOT, build, "ailab") if not os.path.isabs(build) else os.path.join(build, "ailab")
    if os.geteuid() != 0:
        print("slurm bench: skipped (slurmd needs root)")
        return
    cluster = tempfile.mkdtemp(prefix="ailab-slurm-cluster-")
    up = subprocess.run([ROOT + "/scripts/slurm-up.sh", cluster], capture_output=True, text=True)
    if up.returncode == 2:
        print("slurm bench: skipped:", up.stderr.strip())
        return
    if up.returncode != 0:
        raise RuntimeError(up.stdout + up.stderr)
    os.environ["SLURM_CONF"] = cluster + "/slurm.conf"
    shared = cluster + "/shared"
    marks = cluster + "/marks"
    os.makedirs(marks)
    rows = []
    try:
        # 1. submit -> running, side by side.
        server = Server(binary, shared, [])
        bare, ours, bare_call, our_call = [], [], [], []
        script = cluster + "/bare.sbatch"
        for i in range(rounds):
            with open(script, "w") as f:
                f.write(f"#!/bin/sh\ndate +%s.%N > {marks}/bare-{i}\n")
            t0 = time.time()
            subprocess.run(["sbatch", "--parsable", "-o", "/dev/null", script], check=True, capture_output=True)
            bare_call.append(time.time() - t0)
            bare.append(wait_for_file(f"{marks}/bare-{i}") - t0)
            t0 = time.time()
            server.submit({"shell": f"date +%s.%N > {marks}/ours-{i}"})
            our_call.append(time.time() - t0)
            ours.append(wait_for_file(f"{marks}/ours-{i}") - t0)
        server.stop()
        rows.append(("submit -> running, bare sbatch (p50 / p90)",
                     f"{statistics.median(bare) * 1000:.0f} ms / {pct(bare, 0.9) * 1000:.0f} ms", "reference"))
        rows.append(("submit -> running, through AI Lab (p50 / p90)",
                     f"{statistics.median(ours) * 1000:.0f} ms / {pct(ours, 0.9) * 1000:.0f} ms", ""))
        rows.append(("**AI Lab's overhead** (p50 difference)",
                     f"{(statistics.median(ours) - statistics.median(bare)) * 1000:+.0f} ms", "≤ 100 ms"))
        rows.append(("the submit call alone: sbatch CLI vs POST /api/v1/jobs (p50)",
                     f"{statistics.median(bare_call) * 1000:.1f} ms vs {statistics.median(our_call) * 1000:.1f} ms "
                     f"({(statistics.median(our_call) - statistics.median(bare_call)) * 1000:+.1f} ms)", ""))
        subprocess.run(["scancel", "--user", "root"], capture_output=True)

        # 2. N jobs through AI Lab, held in Slurm.
        server = Server(binary, shared + "-held", ["--hold"])
        cpu0, t0 = cpu_seconds(server.proc.pid), time.time()
        for i in range(jobs):
            server.submit({"shell": "true", "name": f"held-{i}"})
        submit_wall, submit_cpu = time.time() - t0, cpu_seconds(server.proc.pid) - cpu0
        rows.append((f"{jobs} jobs submitted through AI Lab: the server's CPU (wall)",
                     f"**{submit_cpu:.2f} s** ({submit_wall:.1f} s wall, sbatch's own time included)", "≤ 1 s"))

        # 3. the poll with N jobs known to Slurm.
        time.sleep(2)
        cpu0, t0 = cpu_seconds(server.proc.pid), time.time()
        time.sleep(10)
        polls = time.time() - t0  # slurm_poll_s = 1: one poll a second
        per_poll = (cpu_seconds(server.proc.pid) - cpu0) / polls
        t1 = time.time()
        out = subprocess.run(["squeue", "--json", "--states=all"], capture_output=True, check=True).stdout
        squeue_wall = time.time() - t1
        rows.append((f"state poll, {jobs} jobs in Slurm: the server's CPU per poll",
                     f"**{per_poll * 1000:.1f} ms** ({polls:.0f} polls)", "≤ 50 ms"))
        rows.append((f"squeue --json for {jobs} jobs (its own wall time, {len(out) / 1e6:.1f} MB)",
                     f"{squeue_wall * 1000:.0f} ms", "reference"))
        status, listed = server.call("GET", "/api/v1/jobs?state=queued&limit=1")
        rows.append(("jobs AI Lab shows queued (held in Slurm)", str(listed["counts"]["queued"]), str(jobs)))
        subprocess.run(["scancel", "--user", "root"], capture_output=True)
        server.stop()
    finally:
        subprocess.run([ROOT + "/scripts/slurm-down.sh", cluster], capture_output=True)
        shutil.rmtree(cluster, ignore_errors=True)

    print("| measure | figure | goal |")
    print("| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
