#!/usr/bin/env bash
# The real server on a GPU machine: start it, log in, read /api/v1/system and /metrics beside
# nvidia-smi, stop it with SIGTERM. It runs from a folder holding a stripped `ailab` and the shared
# libraries it needs (the GPU machine has no Debian packages):
#   mkdir -p .devrun/lib && strip -o .devrun/ailab build/ailab
#   for l in $(ldd build/ailab | awk '/=>/ {print $3}' | grep -v -E 'libc.so|libm.so|ld-linux'); do cp -L $l .devrun/lib; done
#   cp bench/device/server_check.sh .devrun/check.sh    # then on the machine: bash .devrun/check.sh
set -u
cd "$(dirname "$0")"
export LD_LIBRARY_PATH=$PWD/lib
mkdir -p /tmp/d/results/demo /tmp/d/ws /tmp/d/state
echo '{"step":1,"loss":0.5,"goal":"train 1/2","progress":0.5}' > /tmp/d/results/demo/ailab.log
cat > /tmp/d/config.json <<JSON
{"host":"127.0.0.1","port":18777,"users":{"admin":"device-check-pw"},"results":"/tmp/d/results","workspace":"/tmp/d/ws","queue":"/tmp/d/state","gpus":[0]}
JSON
python3 ../bench/gpu_load.py 40 > /tmp/d/load.log 2>&1 &
./ailab /tmp/d/config.json > /tmp/d/server.log 2>&1 &
server=$!
sleep 12
token=$(curl -s -XPOST localhost:18777/api/v1/login -d '{"user":"admin","password":"device-check-pw"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')
echo "== GET /api/v1/system"
curl -s -H "Authorization: Bearer $token" localhost:18777/api/v1/system | python3 -c 'import sys,json; d=json.load(sys.stdin); print("gpu_status:", d["gpu_status"]); [print(json.dumps(g)) for g in d["gpus"]]'
echo "== GET /metrics (ailab_gpu_*)"
curl -s -H "Authorization: Bearer $token" localhost:18777/metrics | grep -E "^ailab_(gpu|runs)" | head -30
echo "== nvidia-smi"
nvidia-smi --query-gpu=utilization.gpu,memory.used,temperature.gpu,power.draw --format=csv
nvidia-smi --query-compute-apps=pid,used_memory --format=csv
kill -TERM $server; wait $server; echo "server exit: $?"
echo "== server log"; cat /tmp/d/server.log
