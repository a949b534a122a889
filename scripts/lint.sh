#!/usr/bin/env bash
# Lint checks run by CI: clang-format over every C++ file, then clang-tidy (.clang-tidy: bugprone,
# performance, readability and the house naming; every warning an error) over every source file in
# src/, Beast and Asio ones included, through the build's compile database (configure the build
# first; `make lint` does). Headers are checked through the sources that include them
# (HeaderFilterRegex keeps Boost's own headers out). run-clang-tidy runs one clang-tidy per core
# (LINT_JOBS to change it) and prints each file's findings together.
#
# Usage: scripts/lint.sh [build folder] [regex of files to tidy, default every file in src/]
set -euo pipefail
build="${1:-build}"
cd "$(dirname "$0")/.."
root="$(pwd)"
files=$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp')
status=0
if clang-format --dry-run -Werror $files; then
  echo "clang-format: $(echo "$files" | wc -w) files clean"
else
  echo "clang-format: findings above (fix with make format)" >&2
  status=1
fi

if [ ! -f "$build/compile_commands.json" ]; then
  echo "lint: $build/compile_commands.json is missing: configure the build first (make build)" >&2
  exit 2
fi
pattern="${2:-^$root/src/.*\.cpp\$}"
tidy_count=$(python3 -c 'import json, re, sys
print(sum(1 for entry in json.load(open(sys.argv[1])) if re.search(sys.argv[2], entry["file"])))' \
  "$build/compile_commands.json" "$pattern")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$(date +%s)
# Files whose preprocessed text, .clang-tidy and clang-tidy's version were all seen clean before
# are skipped (scripts/tidy_cache.py); AILAB_TIDY_CACHE=0 checks every file.
if [ "${AILAB_TIDY_CACHE:-1}" = "1" ]; then
  mapfile -t pending < <(python3 scripts/tidy_cache.py pending "$build" "$pattern")
else
  mapfile -t pending < <(python3 -c 'import json, re, sys
for entry in json.load(open(sys.argv[1])):
    if re.search(sys.argv[2], entry["file"]): print(entry["file"])' "$build/compile_commands.json" "$pattern")
fi
if ((${#pending[@]} == 0)); then
  echo "clang-tidy: $tidy_count files clean (all known clean: unchanged since a clean check)"
  exit "$status"
fi
pending_pattern="^($(printf '%s\n' "${pending[@]}" | sed 's/[][\.*^$+?(){}|/]/\\&/g' | paste -sd '|'))\$"
if ! run-clang-tidy -p "$build" -j "${LINT_JOBS:-$(nproc)}" -quiet "$pending_pattern" > "$log" 2>&1; then
  # Keep the findings; drop the command lines and clang-tidy's "N warnings generated" counts.
  # run-clang-tidy 14 always asks for colour: strip it.
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v -E -e '^clang-tidy(-[0-9]+)? ' -e 'warnings generated\.$' || true
  echo "clang-tidy: findings above (${#pending[@]} of $tidy_count files checked, $(($(date +%s) - started)) s)" >&2
  exit 1
fi
[ "${AILAB_TIDY_CACHE:-1}" = "1" ] && python3 scripts/tidy_cache.py clean "$build" "${pending[@]}"
echo "clang-tidy: $tidy_count files clean (${#pending[@]} checked, the rest unchanged since a clean check) in $(($(date +%s) - started)) s"
exit "$status"
