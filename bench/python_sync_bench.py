#!/usr/bin/env python3
"""Code sync from the Python client (clients/python/ailab_client.py) against the real server.

Issue #9's figure: a 1,000-file, 20 MB project syncs the first time in <= 1 s on loopback, and a
resubmit after changing one file uploads one blob in <= 150 ms end to end. This script starts
`ailab` (AILAB_BINARY or build/ailab) on a temporary config, logs in, and measures:

- scan+hash: walking the folder with the ignore rules and hashing every file (no network);
- first sync: scan, manifest, 1,000 blob uploads, snapshot (fresh random bytes each round, so
  every blob is new to the server);
- resubmit: one file edited, then sync + POST /api/v1/jobs (the job is a CPU job: `true`).

Without the job routes in the binary only scan+hash is measured, and the script says so.
Usage: python3 bench/python_sync_bench.py [--rounds 5] [--files 1000] [--megabytes 20]
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

import ailab_client  # noqa: E402


def make_project(folder, files, total_bytes):
    size = total_bytes // files
    for index in range(files):
        path = os.path.join(folder, "pkg%02d" % (index % 40), "sub%d" % (index % 3), "f%04d.py" % index)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(os.urandom(size))


def start_server(binary, folder):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = os.path.join(folder, "config.json")
    written = subprocess.run(
        [binary, "init-config", config, "--results", os.path.join(folder, "lab", "results"),
         "--state", os.path.join(folder, "lab", "state"), "--port", str(port)],
        stdout=subprocess.PIPE, check=True,
    ).stdout.decode()
    password = re.search(r"password: (\S+)", written).group(1)
    log = open(os.path.join(folder, "server.log"), "wb")
    process = subprocess.Popen([binary, "serve", config], stdout=log, stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/api/v1/health", timeout=2):
                return process, url, password
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the server did not start; see " + log.name)


def median_ms(values):
    return "%.0f ms (min %.0f, max %.0f)" % (statistics.median(values) * 1000, min(values) * 1000, max(values) * 1000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--megabytes", type=float, default=20)
    arguments = parser.parse_args()
    binary = os.environ.get("AILAB_BINARY") or os.path.join(ROOT, "build", "ailab")
    folder = tempfile.mkdtemp(prefix="ailab-pysync-")
    os.environ["XDG_CONFIG_HOME"] = os.path.join(folder, "client_config")
    process = None
    try:
        project = os.path.join(folder, "project")
        print("Python %s, %d files, %.0f MB, %d rounds" % (sys.version.split()[0], arguments.files,
                                                            arguments.megabytes, arguments.rounds))
        scans, firsts, resubmits, uploads = [], [], [], []
        client = None
        if os.path.isfile(binary):
            process, url, password = start_server(binary, folder)
            client = ailab_client.login(url, "admin", password)
            routes = client._json("GET", "/routes")["routes"]
            if not any(route.get("path") == "/api/v1/jobs" for route in routes):
                print("the binary has no /api/v1/jobs route: scan+hash only")
                client = None
        else:
            print("no binary at %s: scan+hash only" % binary)
        for round_index in range(arguments.rounds):
            shutil.rmtree(project, ignore_errors=True)
            make_project(project, arguments.files, int(arguments.megabytes * 1e6))
            started = time.perf_counter()
            ailab_client.scan_folder(project)
            scans.append(time.perf_counter() - started)
            if client is None:
                continue
            started = time.perf_counter()
            result = client.sync(project)
            firsts.append(time.perf_counter() - started)
            assert result["uploaded_files"] == arguments.files, result
            with open(os.path.join(project, "pkg00", "sub0", "f0000.py"), "ab") as handle:
                handle.write(b"# edited %d\n" % round_index)
            started = time.perf_counter()
            client.submit(command=["true"], dir=project, gpus=0)
            resubmits.append(time.perf_counter() - started)
            uploads.append(client.last_sync["uploaded_files"])
        print("scan+hash:             " + median_ms(scans))
        if firsts:
            print("first sync:            " + median_ms(firsts))
            print("resubmit (one edit):   " + median_ms(resubmits) + ", blobs uploaded: %s" % sorted(set(uploads)))
    finally:
        if process is not None:
            process.terminate()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
