#!/usr/bin/env bash
# Runs every benchmark and prints its table: the HTTP server (wrk), the runs module, the system
# sampler. `make bench` calls this; pass --save to rewrite the sections of bench/RESULTS.md
# that have a saver (the HTTP table); the others print tables to paste.
set -euo pipefail
build="${1:-build}"; save="${2:-}"
cd "$(dirname "$0")/.."
echo "== HTTP (bench/http_bench.sh)"; bench/http_bench.sh "$build" $save
echo; echo "== Runs (bench/runs_bench.sh)"; bench/runs_bench.sh "$build"
echo; echo "== System ($build/bench/ailab_system_bench)"; "$build/bench/ailab_system_bench"
