#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan, -DAILAB_FUZZ=ON) in build-fuzz/
# and runs each one for SECONDS seconds (first argument, else $FUZZ_SECONDS, else 60), FUZZ_JOBS
# targets at a time (default 2), starting from the seed corpus in tests/fuzz/corpus/<target>/.
# SECONDS=0 only replays the seed corpus (every input once), a quick regression check.
#
# New inputs go to build-fuzz/corpus/<target>/ (never into the repository); a crash, leak or hang
# leaves its input in build-fuzz/artifacts/<target>/ and makes the script exit 1 naming it. To keep
# a finding: fix it, add a regression test to the matching unit test, and copy the input into
# tests/fuzz/corpus/<target>/.
#
# Usage: scripts/fuzz.sh [seconds] [target...]   (targets: see tests/fuzz/CMakeLists.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-${FUZZ_SECONDS:-60}}"
shift || true
build="${FUZZ_BUILD:-build-fuzz}"
jobs="${FUZZ_JOBS:-2}"
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(line_parser timestamp request_path config prometheus manifest params tfrecord tf_event)
fi

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Hits across clones in other folders (CI's fresh clone included).
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DAILAB_FUZZ=ON -DAILAB_WITH_UI=OFF -DAILAB_BUILD_TESTS=OFF \
    -DAILAB_BUILD_BENCH=OFF "${launcher[@]}" > /dev/null
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Runs one target; its output goes to $build/fuzz-<target>.log, its exit status to .rc beside it.
run_target() {
  local name="$1"
  local seeds="tests/fuzz/corpus/$name"
  local options=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    "-artifact_prefix=$build/artifacts/$name/")
  [ -f "tests/fuzz/$name.dict" ] && options+=("-dict=tests/fuzz/$name.dict")
  mkdir -p "$build/corpus/$name" "$build/artifacts/$name"
  local status=0
  if [ "$seconds" = 0 ]; then
    "$build/tests/fuzz/fuzz_$name" "${options[@]}" -runs=0 "$seeds" > "$build/fuzz-$name.log" 2>&1 || status=$?
  else
    "$build/tests/fuzz/fuzz_$name" "${options[@]}" "-max_total_time=$seconds" "$build/corpus/$name" "$seeds" \
      > "$build/fuzz-$name.log" 2>&1 || status=$?
  fi
  echo "$status" > "$build/fuzz-$name.rc"
}

started=$(date +%s)
running=0
for name in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$name" &
  running=$((running + 1))
done
wait

failed=0
for name in "${targets[@]}"; do
  log="$build/fuzz-$name.log"
  status=$(cat "$build/fuzz-$name.rc" 2> /dev/null || echo 1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if [ "$status" = 0 ]; then
    echo "fuzz_$name: ok, ${runs:-?} inputs, ${coverage:-cov: ?}"
  else
    failed=1
    echo "fuzz_$name: FAILED (exit $status); log $log; inputs in $build/artifacts/$name/:"
    ls "$build/artifacts/$name/" | sed 's/^/  /'
    grep -E 'ERROR|SUMMARY|fuzz: |runtime error|Test unit written' "$log" | head -20 | sed 's/^/  /'
    echo "  reproduce: $build/tests/fuzz/fuzz_$name $build/artifacts/$name/<file>"
  fi
done
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time, $(($(date +%s) - started)) s"
exit "$failed"
