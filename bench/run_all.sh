#!/usr/bin/env bash
# Runs every benchmark and prints its table: the HTTP server (wrk), the runs module, the system
# sampler, jobs, a folder's archive. `make bench` calls this; --save rewrites the Server and Runs sections of
# bench/RESULTS.md (the System section is written by hand from ailab_system_bench's table).
set -euo pipefail
build="${1:-build}"; save="${2:-}"
cd "$(dirname "$0")/.."
echo "== HTTP (bench/http_bench.sh)"; bench/http_bench.sh "$build" $save
echo; echo "== Runs (bench/runs_bench.sh)"; bench/runs_bench.sh "$build" $save
echo; echo "== Run formats ($build/bench/ailab_formats_bench)"; "$build/bench/ailab_formats_bench"
echo; echo "== Run params (bench/run_params_bench.py)"; python3 bench/run_params_bench.py "$build"
echo; echo "== System ($build/bench/ailab_system_bench)"; "$build/bench/ailab_system_bench"
command -v tsp >/dev/null || apt-get install -y task-spooler >/dev/null 2>&1 || echo "task-spooler could not be installed: the side-by-side is skipped"
echo; echo "== Jobs (bench/jobs_bench.py)"; python3 bench/jobs_bench.py "$build" $save
echo; echo "== Jobs scheduler ($build/bench/ailab_bench_jobs)"; "$build/bench/ailab_bench_jobs"
echo; echo "== Files ($build/bench/ailab_files_bench)"; "$build/bench/ailab_files_bench"
echo; echo "== Files archive (bench/files_archive_bench.py)"; python3 bench/files_archive_bench.py "$build" $save
echo; echo "== Files in the browser (bench/files_browser_bench.mjs)"; node bench/files_browser_bench.mjs "$build/ailab"
echo; echo "== Overview in the browser (bench/overview_browser_bench.mjs)"; node bench/overview_browser_bench.mjs "$build/ailab"
echo; echo "== Terminals (bench/terminals_bench.py)"; python3 bench/terminals_bench.py "$build" $save
echo; echo "== Slurm (bench/slurm_bench.py)"; python3 bench/slurm_bench.py "$build"
