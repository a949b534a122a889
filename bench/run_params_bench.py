#!/usr/bin/env python3
"""Params of 10,000 runs (issue 12), measured against the real server.

usage: run_params_bench.py BUILD_DIR [--runs N]

Writes N runs (default 10,000), each with a config.json of 20 params (nested, as real configs are:
optimizer.lr, model.depth, data.augment.*, seed, ...) and a 20-line ailab.log, starts the server on
loopback and prints one table:
- how long after /health answered every run's params were in GET /runs/params (the worker reads
  config files after the cold start, 128 runs a turn);
- GET /runs/params, GET /runs/values and GET /runs (the reference: the list the overview loads
  anyway), median and max of 20 requests each, and the answer's size;
- the server's resident memory once everything is loaded.
Target (issue 12): GET /runs/params <= 100 ms at 10,000 runs x 20 params.
"""
import http.client, json, os, random, shutil, socket, statistics, subprocess, sys, tempfile, time

PASSWORD = "bench-password-1"


def write_runs(results, count):
    rng = random.Random(12)
    models = ["resnet18", "resnet50", "vit-s", "vit-b", "convnext-t"]
    for i in range(count):
        folder = f"{results}/sweep_{i // 500:02d}/run_{i:05d}"
        os.makedirs(folder)
        config = {
            "optimizer": {"name": rng.choice(["adamw", "sgd"]), "lr": rng.choice([1e-4, 3e-4, 1e-3, 3e-3, 1e-2]),
                          "weight_decay": rng.choice([0.0, 0.01, 0.05]), "betas": [0.9, 0.999]},
            "model": {"name": rng.choice(models), "depth": rng.choice([18, 34, 50]), "dropout": rng.random() / 2,
                      "width": rng.choice([64, 128, 256])},
            "data": {"batch_size": rng.choice([32, 64, 128, 256]), "augment": {"flip": rng.random() < 0.5,
                     "crop": rng.choice([224, 256]), "mixup": rng.random() / 5}, "workers": 8},
            "seed": i % 5, "epochs": 10, "precision": rng.choice(["bf16", "fp32"]), "warmup_steps": 500,
            "grad_clip": 1.0, "ema": rng.random() < 0.3, "label_smoothing": 0.1,
        }
        with open(f"{folder}/config.json", "w") as f:
            json.dump(config, f)
        with open(f"{folder}/ailab.log", "w") as f:
            for step in range(20):
                f.write(json.dumps({"step": step, "loss": 2.0 / (step + 1), "acc": step / 20}) + "\n")


def request(port, path, token):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": "Bearer " + token})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    assert response.status == 200, (path, response.status, body[:200])
    return elapsed, body


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    count = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 10_000
    binary = os.path.abspath(f"{build}/ailab")
    tmp = tempfile.mkdtemp(prefix="ailab-params-bench-")
    try:
        print(f"writing {count} runs with 20 params each ...", flush=True)
        write_runs(f"{tmp}/results", count)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = {"host": "127.0.0.1", "port": port, "users": {"admin": PASSWORD}, "workspace": tmp,
                  "results": f"{tmp}/results", "queue": f"{tmp}/state", "discovery_depth": 2}
        with open(f"{tmp}/config.json", "w") as f:
            json.dump(config, f)
        log = open(f"{tmp}/server.log", "ab")
        proc = subprocess.Popen([binary, f"{tmp}/config.json"], stdout=log, stderr=log)
        try:
            started = time.perf_counter()
            while True:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    connection.request("GET", "/api/v1/health")
                    if connection.getresponse().status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.01)
            healthy = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", "/api/v1/login", body=json.dumps({"user": "admin", "password": PASSWORD}),
                               headers={"Content-Type": "application/json"})
            token = json.loads(connection.getresponse().read())["token"]
            while True:
                _, body = request(port, "/api/v1/runs/params", token)
                if len(json.loads(body)["params"]) >= count:
                    break
                time.sleep(0.02)
            loaded = time.perf_counter()
            params = json.loads(body)["params"]
            keys = len(next(iter(params.values())))
            rows = []
            for path in ("/api/v1/runs/params", "/api/v1/runs/values", "/api/v1/runs"):
                times, size = [], 0
                for _ in range(20):
                    elapsed, body = request(port, path, token)
                    times.append(elapsed * 1000)
                    size = len(body)
                rows.append((path, statistics.median(times), max(times), size))
            rss = 0
            for line in open(f"/proc/{proc.pid}/status"):
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
        finally:
            proc.terminate()
            proc.wait(10)
        print()
        print(f"| figure ({count} runs x {keys} params) | measured | target |")
        print("| --- | --- | --- |")
        print(f"| server start -> /health | {(healthy - started) * 1000:.0f} ms | |")
        print(f"| /health -> every run's params served | {(loaded - healthy) * 1000:.0f} ms | |")
        for path, median, worst, size in rows:
            target = "<= 100 ms" if path.endswith("params") else ""
            print(f"| GET {path[7:]} median / max ({size / 1e6:.1f} MB) | {median:.1f} / {worst:.1f} ms | {target} |")
        print(f"| server RSS, all loaded | {rss:.0f} MiB | |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
