#!/usr/bin/env bash
# The job scheduler on a real GPU (issue 9): a foreign process (bench/gpu_load.py, PyTorch) holds
# GPU 0, so a one-GPU job must wait ("gpu", naming the foreign process) and start once the load
# ends; a job's own CUDA process is not foreign (a second job waits "held by job N"). Runs from the
# .devrun folder described in server_check.sh:  cp bench/device/jobs_check.sh .devrun/jobs_check.sh
set -u
cd "$(dirname "$0")"
export LD_LIBRARY_PATH=$PWD/lib
rm -rf /tmp/j && mkdir -p /tmp/j/results /tmp/j/ws /tmp/j/state
cat > /tmp/j/config.json <<JSON
{"host":"127.0.0.1","port":18778,"users":{"admin":"device-check-pw"},"results":"/tmp/j/results","workspace":"/tmp/j/ws","queue":"/tmp/j/state","gpus":[0],"sample_interval_ms":500}
JSON
./ailab /tmp/j/config.json > /tmp/j/server.log 2>&1 &
server=$!
sleep 2
api() { curl -s -H "Authorization: Bearer $token" "$@"; }
token=$(curl -s -XPOST localhost:18778/api/v1/login -d '{"user":"admin","password":"device-check-pw"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')
show() { api localhost:18778/api/v1/jobs/$1 | python3 -c 'import sys,json; j=json.load(sys.stdin)["job"]; print(f"job {j[\"id\"]}: {j[\"state\"]} waiting_for={j[\"waiting_for\"]} reason={j[\"reason\"]!r} gpus={j[\"gpus\"]} gpu_check={j[\"gpu_check\"]} started={j[\"started_at\"]} exit={j[\"exit_code\"]}")'; }
lanes() { api "localhost:18778/api/v1/jobs?limit=1" | python3 -c 'import sys,json; [print("lane", json.dumps(g)) for g in json.load(sys.stdin)["gpus"]]'; }

echo "== a foreign process holds GPU 0 (gpu_load.py 20 s)"
python3 ../bench/gpu_load.py 20 > /tmp/j/load.log 2>&1 &
load=$!
sleep 8
lanes
first=$(api -XPOST localhost:18778/api/v1/jobs -d '{"shell":"echo CVD=$CUDA_VISIBLE_DEVICES; nvidia-smi -L","gpus":1,"name":"after-foreign"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["job"]["id"])')
sleep 1; show $first
wait $load; t_end=$(date +%s.%N); echo "load ended at $t_end"
for i in $(seq 1 40); do s=$(api localhost:18778/api/v1/jobs/$first | python3 -c 'import sys,json;print(json.load(sys.stdin)["job"]["state"])'); [ "$s" != queued ] && break; sleep 0.1; done
show $first
api "localhost:18778/api/v1/jobs/$first/output"; echo

echo "== a job's own CUDA process is not foreign"
own=$(api -XPOST localhost:18778/api/v1/jobs -d '{"command":["python3","-c","import torch,time; a=torch.randn(8192,8192,device=\"cuda\"); [a@a for _ in range(200)]; torch.cuda.synchronize(); time.sleep(6); print(\"own job done\")"],"gpus":1,"name":"own-cuda"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["job"]["id"])')
sleep 5
second=$(api -XPOST localhost:18778/api/v1/jobs -d '{"shell":"echo second","gpus":1}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["job"]["id"])')
sleep 1; show $own; show $second; lanes
nvidia-smi --query-compute-apps=pid,used_memory --format=csv
for i in $(seq 1 150); do s=$(api localhost:18778/api/v1/jobs/$second | python3 -c 'import sys,json;print(json.load(sys.stdin)["job"]["state"])'); [ "$s" = done ] && break; sleep 0.1; done
show $own; show $second
api "localhost:18778/api/v1/jobs/$own/output" | tail -3; echo

echo "== submit -> running, 30 CPU jobs (quiet 16-core machine)"
python3 - <<'PY'
import http.client, json, os, statistics, time
c = http.client.HTTPConnection("127.0.0.1", 18778)
c.request("POST", "/api/v1/login", json.dumps({"user": "admin", "password": "device-check-pw"}))
t = json.loads(c.getresponse().read())["token"]
h = {"Authorization": "Bearer " + t}
lat = []
for i in range(33):
    p = f"/tmp/j/mark{i}"
    t0 = time.time_ns()
    c.request("POST", "/api/v1/jobs", json.dumps({"command": ["/bin/sh", "-c", f"date +%s%N > {p}"], "gpus": 0}), h)
    c.getresponse().read()
    while True:
        try:
            s = open(p).read().strip()
            if s: break
        except OSError: pass
        time.sleep(0.0002)
    if i >= 3: lat.append((int(s) - t0) / 1e6)
lat.sort()
print(f"submit -> running: p50 {statistics.median(lat):.2f} ms, p90 {lat[int(0.9 * (len(lat) - 1))]:.2f} ms")
PY
kill -TERM $server; wait $server; echo "server exit: $?"
echo "== server log"; tail -20 /tmp/j/server.log
