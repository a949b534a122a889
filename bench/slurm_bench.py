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
  10 s), and squeue --json's own wall time for reference;
- the same N jobs as one sweep (POST /api/v1/jobs/batch) on a fresh server: its CPU until squeue
  lists them all.
Needs root (slurmd). Cleans up: scancel, the daemons stopped, the temp folders removed.
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from jobs_bench import Server, percentile, wait_file  # noqa: E402  the job host's bench client


def slurm_server(binary, shared, extra_args):
    return Server(binary, [], {"slurm_poll_s": 1,
                               "executor": {"type": "slurm", "shared_dir": shared, "extra_args": extra_args}})


def squeue_count():
    out = subprocess.run(["squeue", "-h", "--states=all", "--format=%i"], capture_output=True, text=True).stdout
    return len(out.split())


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    jobs = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else 1000
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 10
    binary = os.path.join(ROOT, build, "ailab") if not os.path.isabs(build) else os.path.join(build, "ailab")
    if os.geteuid() != 0:
        print("slurm bench: skipped (slurmd needs root)")
        return
    cluster = tempfile.mkdtemp(prefix="ailab-slurm-cluster-")
    up = subprocess.run([ROOT + "/scripts/slurm-up.sh", cluster, str(os.getpid())], capture_output=True, text=True)
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
        server = slurm_server(binary, shared, [])
        bare, ours, bare_call, our_call = [], [], [], []
        script = cluster + "/bare.sbatch"
        for i in range(rounds):
            with open(script, "w") as f:
                f.write(f"#!/bin/sh\ndate +%s%N > {marks}/bare-{i}\n")
            t0 = time.time()
            subprocess.run(["sbatch", "--parsable", "-o", "/dev/null", script], check=True, capture_output=True)
            bare_call.append(time.time() - t0)
            bare.append(wait_file(f"{marks}/bare-{i}", 60) / 1e9 - t0)
            t0 = time.time()
            server.submit({"shell": f"date +%s%N > {marks}/ours-{i}"})
            our_call.append(time.time() - t0)
            ours.append(wait_file(f"{marks}/ours-{i}", 60) / 1e9 - t0)
        server.close()
        rows.append(("submit -> running, bare sbatch (p50 / p90)",
                     f"{statistics.median(bare) * 1000:.0f} ms / {percentile(bare, 90) * 1000:.0f} ms", "reference"))
        rows.append(("submit -> running, through AI Lab (p50 / p90)",
                     f"{statistics.median(ours) * 1000:.0f} ms / {percentile(ours, 90) * 1000:.0f} ms", ""))
        rows.append(("**AI Lab's overhead** (p50 difference)",
                     f"{(statistics.median(ours) - statistics.median(bare)) * 1000:+.0f} ms", "≤ 100 ms"))
        rows.append(("the submit call alone: sbatch CLI vs POST /api/v1/jobs (p50)",
                     f"{statistics.median(bare_call) * 1000:.1f} ms vs {statistics.median(our_call) * 1000:.1f} ms "
                     f"({(statistics.median(our_call) - statistics.median(bare_call)) * 1000:+.1f} ms)", ""))
        subprocess.run(["scancel", "--user", "root"], capture_output=True)

        # 2. N jobs through AI Lab, held in Slurm.
        server = slurm_server(binary, shared + "-held", ["--hold"])
        cpu0, t0 = server.cpu_seconds(), time.time()
        for i in range(jobs):
            server.submit({"shell": "true", "name": f"held-{i}"})
        submit_wall, submit_cpu = time.time() - t0, server.cpu_seconds() - cpu0
        rows.append((f"{jobs} jobs submitted through AI Lab: the server's CPU (wall)",
                     f"**{submit_cpu:.2f} s** ({submit_wall:.1f} s wall, most of it sbatch's)", "≤ 1 s"))

        # 3. the poll with N jobs known to Slurm.
        time.sleep(2)
        cpu0, t0 = server.cpu_seconds(), time.time()
        time.sleep(10)
        polls = time.time() - t0  # slurm_poll_s = 1: one poll a second
        per_poll = (server.cpu_seconds() - cpu0) / polls
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
        server.close()

        # 4. the same N jobs as one sweep (POST /api/v1/jobs/batch) on a fresh server: one request,
        # one transaction; the sbatch calls are still one per job. Done when squeue lists them all
        # (counted by the bench, so that the waiting costs the server nothing).
        sweep_server = slurm_server(binary, shared + "-sweep", ["--hold"])
        before = squeue_count()
        cpu0, t0 = sweep_server.cpu_seconds(), time.time()
        status, answer = sweep_server.call(
            "POST", "/api/v1/jobs/batch", {"jobs": [{"shell": "true", "name": f"swept-{i}"} for i in range(jobs)]})
        assert status == 201, answer
        answered = time.time() - t0
        deadline = time.time() + 600
        while squeue_count() < before + jobs and time.time() < deadline:
            time.sleep(0.2)
        sweep_wall, sweep_cpu = time.time() - t0, sweep_server.cpu_seconds() - cpu0
        rows.append((f"{jobs} jobs as one sweep (POST /api/v1/jobs/batch): the server's CPU (wall)",
                     f"**{sweep_cpu:.2f} s** ({sweep_wall:.1f} s wall until squeue lists them all; "
                     f"the answer after {answered * 1000:.0f} ms)", "≤ 1 s"))
        sweep_server.close()
        subprocess.run(["scancel", "--user", "root"], capture_output=True)
    finally:
        subprocess.run([ROOT + "/scripts/slurm-down.sh", cluster], capture_output=True)
        shutil.rmtree(cluster, ignore_errors=True)

    print("| measure | figure | goal |")
    print("| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
