#!/usr/bin/env bash
# HTTP throughput of the real binary on loopback, measured with wrk at keep-alive:
# GET /api/v1/health (no auth) and an authenticated GET /api/v1/info. Prints a table; with
# --save it also rewrites the "## Server" section of bench/RESULTS.md.
set -euo pipefail
build="${1:-build}"; save="${2:-}"
cd "$(dirname "$0")/.."
bin="$build/ailab"
[ -x "$bin" ] || { echo "build $bin first (make build)"; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)"; exit 1; }
tmp=$(mktemp -d); trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/results" "$tmp/ws" "$tmp/state"
cat > "$tmp/config.json" <<JSON
{"host":"127.0.0.1","port":$port,"users":{"admin":"bench-password"},"workspace":"$tmp/ws",
 "results":"$tmp/results","queue":"$tmp/state","gpus":[],"cluster":true}
JSON
AILAB_LOG_LEVEL=warn "$bin" "$tmp/config.json" > "$tmp/server.log" 2>&1 & pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.1; done
token=$(curl -fs -X POST -d '{"user":"admin","password":"bench-password"}' "http://127.0.0.1:$port/api/v1/login" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
duration="${WRK_DURATION:-10s}"; connections="${WRK_CONNECTIONS:-50}"
measure() {  # name, extra args...
  local name="$1"; shift
  local out; out=$(wrk -t2 -c"$connections" -d"$duration" --latency "$@")
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  printf '| %-32s | %12s | %10s |\n' "$name" "$rps" "$p99"
}
table=$(
  printf '| %-32s | %12s | %10s |\n' "request (wrk -t2 -c$connections -d$duration)" "requests/s" "p99"
  printf '| %-32s | %12s | %10s |\n' "---" "---:" "---:"
  measure "GET /api/v1/health" "http://127.0.0.1:$port/api/v1/health"
  measure "GET /api/v1/info (Bearer token)" -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/info"
)
echo "$table"
if [ "$save" = "--save" ]; then
  python3 bench/save_results.py "Server" "$table" \
    "Target: ≥ 20,000 requests/s. Command: \`bench/http_bench.sh build --save\` (wrk and the server share the 2 cores)."
fi
