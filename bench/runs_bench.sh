#!/usr/bin/env bash
# The runs module's figures (issue 3), printed as a table for bench/RESULTS.md.
#
# usage: bench/runs_bench.sh [BUILD_DIR] [--quick] [--save]
#   BUILD_DIR  where ailab and bench/ailab_runs_bench were built (default: build)
#   --quick    smaller data (200 runs x 5000 lines, 10,000 x 100) and 5 s of idle measurement
#   --save     write the table into the "Runs" section of bench/RESULTS.md (bench/save_results.py)
#
# Generates its data under /tmp with ../shared/bench/gen_runs.py and deletes it afterwards.
# Measures in process (RunService on its own) and end to end (the real binary, a C++ HTTP poller
# and a WebSocket client) when the binary exists. The logs are in the page cache (just written):
# a cold start after a reboot also pays for reading a few KB per log from the disk.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
quick=0
save=0
for argument in "$@"; do
  case "$argument" in
    --quick) quick=1 ;;
    --save) save=1 ;;
    *) build=$argument ;;
  esac
done
bench=$build/bench/ailab_runs_bench
binary=$build/ailab
generator=../shared/bench/gen_runs.py
[ -x "$bench" ] || { echo "build $bench first (ninja -C $build ailab_runs_bench)" >&2; exit 1; }
[ -f "$generator" ] || { echo "missing $generator" >&2; exit 1; }

runs=2000 lines=5000 many=100000 idle=30
if [ "$quick" = 1 ]; then runs=200 many=10000 idle=5; fi

work=$(mktemp -d /tmp/ailab-runs-bench.XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

declare -A result
collect() {  # reads the "RESULT key value" lines of a bench output file into ${result[prefix.key]}
  local prefix=$1 file=$2 key value
  while read -r _ key value; do result[$prefix.$key]=$value; done < <(grep '^RESULT ' "$file" || true)
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
server_alive() { [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; }
stop_server() {
  if server_alive; then kill "$server_pid"; fi
  # The server may be our child (start_server) or the bench's (restart_timed): wait for it either way.
  for _ in $(seq 1 100); do server_alive || break; sleep 0.1; done
  server_pid=
}

# Starts the binary on a results folder and logs in; sets server_pid, port and token.
start_server() {
  local results=$1
  port=$(free_port)
  mkdir -p "$work/state" "$work/workspace"
  printf '{"host": "127.0.0.1", "port": %s, "users": {"admin": "bench-password-1"}, "results": "%s",
 "workspace": "%s", "queue": "%s", "poll_interval_ms": 1000}\n' \
    "$port" "$results" "$work/workspace" "$work/state" > "$work/config.json"
  "$binary" "$work/config.json" >> "$work/server.log" 2>&1 &
  server_pid=$!
  token=
  for _ in $(seq 1 600); do
    token=$(curl -s -m 2 -X POST "http://127.0.0.1:$port/api/v1/login" -H 'Content-Type: application/json' \
              -d '{"user": "admin", "password": "bench-password-1"}' |
            python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])' 2>/dev/null) && break
    sleep 0.05
  done
  [ -n "$token" ] || { echo "ailab did not start:"; cat "$work/server.log"; exit 1; }
}
# Restarts the server (the token stays valid: tokens persist in the state folder) and times
# exec -> the first GET /api/v1/runs that lists `expected` runs, into ${result[prefix.serve_cold_seconds]}.
restart_timed() {
  local expected=$1 prefix=$2
  stop_server
  "$bench" serve "$binary" "$work/config.json" "$port" "$token" "$expected" "$work/server.log" | tee "$work/serve.txt"
  collect "$prefix" "$work/serve.txt"
  server_pid=${result[$prefix.pid]}
}
runs_json() { curl -s -m 60 -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/runs"; }
all_indexed() {  # every run has its line count (null until its log was read whole)
  runs_json | python3 -c 'import json, sys; sys.exit(0 if all(r["lines"] is not None for r in json.load(sys.stdin)["runs"]) else 1)'
}

echo "== generating $runs runs x $lines lines"
python3 "$generator" "$work/runs" "$runs" "$lines"
du -sh "$work/runs" | sed 's/^/   /'

echo "== in process: cold start, full index, memory, idle CPU, append -> hub"
"$bench" cold "$work/runs" --idle-seconds "$idle" --appends 100 | tee "$work/cold.txt"
collect cold "$work/cold.txt"
echo "== full index against raw simdjson on the same bytes"
"$bench" raw "$work/runs" | tee "$work/raw.txt"
collect raw "$work/raw.txt"
kernel=$(grep -m1 'simdjson kernel' "$work/raw.txt" | sed 's/.*: //')

if [ -x "$binary" ]; then
  echo "== end to end: the binary"
  start_server "$work/runs"
  restart_timed "$runs" e2e
  until all_indexed; do sleep 0.5; done
  result[e2e.rss]=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status")
  echo "   full index done; resident memory ${result[e2e.rss]} MiB"
  sleep 2
  ticks_per_second=$(getconf CLK_TCK)
  before=$(cpu_ticks "$server_pid")
  sleep "$idle"
  after=$(cpu_ticks "$server_pid")
  result[e2e.idle]=$(python3 -c "print(f'{100 * ($after - $before) / $ticks_per_second / $idle:.2f}')")
  echo "   idle CPU over $idle s: ${result[e2e.idle]} % of a core ($((after - before)) ticks of 1/$ticks_per_second s)"
  target=$(runs_json | python3 -c 'import json, sys; r = json.load(sys.stdin)["runs"]; r = r[len(r) // 3]; print(r["id"], r["path"] + "/" + r["log_file"])')
  read -r target_id target_log <<< "$target"
  "$bench" ws "$port" "$token" "$work/runs/$target_log" "$target_id" --appends 100 | tee "$work/ws.txt"
  collect ws "$work/ws.txt"
  stop_server
fi

echo "== generating $many runs x 100 lines"
rm -rf "$work/runs"
python3 "$generator" "$work/many" "$many" 100
"$bench" cold "$work/many" | tee "$work/many.txt"
collect many "$work/many.txt"
if [ -x "$binary" ]; then
  start_server "$work/many"
  restart_timed "$many" many_e2e
  stop_server
fi

r() { echo "${result[$1]:-n/a}"; }
fmt() { python3 -c "import sys; v = sys.argv[1]; print(v if v == 'n/a' else f'{float(v):.{sys.argv[2]}f}')" "$(r "$1")" "$2"; }
table="| figure | target | in process | end to end (binary) |
| --- | --- | --- | --- |
| cold start to every run's state, ${runs} x ${lines} ($(fmt cold.index_gigabytes 2) GB) | ≤ 0.2 s | $(fmt cold.cold_seconds 3) s (start() + count_by_state) | $(fmt e2e.serve_cold_seconds 3) s (exec → first complete GET /runs) |
| idle CPU, nothing changing, ${idle} s | ≤ 0.5 % of a core | $(fmt cold.idle_cpu_percent 2) % | $(r e2e.idle) % |
| append → WebSocket, 100 appends 100–300 ms apart | p99 ≤ 100 ms | hub: p50 $(fmt cold.append_hub_p50_ms 1) / p99 $(fmt cold.append_hub_p99_ms 1) ms | p50 $(fmt ws.append_ws_p50_ms 1) / p99 $(fmt ws.append_ws_p99_ms 1) / max $(fmt ws.append_ws_max_ms 1) ms |
| full index (pread + parse + fold + history, 1 thread, best of 3) | ≥ ½ raw simdjson | $(fmt raw.best_index_gb_per_s 3) GB/s = $(fmt raw.index_to_raw 2) × raw DOM per line | – |
| raw simdjson DOM, one parse per line (same bytes, in memory) | – | $(fmt raw.raw_dom_gb_per_s 3) GB/s | – |
| raw simdjson parse_many (same bytes, in memory) | – | $(fmt raw.raw_parse_many_gb_per_s 3) GB/s | – |
| LineParser + fold (same bytes, in memory) | – | $(fmt raw.module_parse_gb_per_s 3) GB/s | – |
| resident memory after the full index | ≤ 300 MB | $(fmt cold.rss_mib 0) MiB (history $(fmt cold.history_mib 0) MiB) | $(r e2e.rss) MiB |
| ${many} x 100: cold overview | ≤ 3 s | $(fmt many.cold_seconds 3) s (+ $(fmt many.list_seconds 3) s to list them) | $(fmt many_e2e.serve_cold_seconds 3) s (exec → first complete GET /runs) |
| ${many} x 100: resident memory after the full index | – | $(fmt many.rss_mib 0) MiB (history $(fmt many.history_mib 0) MiB) | – |"
note="Data: \`../shared/bench/gen_runs.py\` (logs in the page cache). simdjson kernel: ${kernel}. Shared 2-core VM with other builds running: timings carry ±10 % noise. The generator's \"dead\" runs end at progress 1.0 in epoch 10/10, which the state rules call done. Why the full index stays under ½ of raw simdjson: src/runs/README.md, \"Full index speed\". Reproduce: \`bench/runs_bench.sh build --save\`."
echo
echo "## Runs"
echo
echo "$(date +%Y-%m-%d) on $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores."
echo
echo "$table"
echo
echo "$note"
if [ "$save" = 1 ]; then python3 bench/save_results.py Runs "$table" "$note"; fi
