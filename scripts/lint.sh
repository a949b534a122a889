#!/usr/bin/env bash
# Lint checks run by CI: clang-format over every C++ file, clang-tidy over the sources that do
# not include Beast/Asio (those take minutes each on 2 cores and are covered by -Werror builds).
set -euo pipefail
build="${1:-build}"
cd "$(dirname "$0")/.."
files=$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp')
clang-format --dry-run -Werror $files
echo "clang-format: $(echo "$files" | wc -w) files clean"
tidy_files=$(git ls-files 'src/core/*.cpp' 'src/runs/*.cpp' 'src/system/*.cpp' 'src/net/http.cpp' 'src/net/router.cpp' \
  'src/net/hub.cpp' 'src/net/json.cpp' 'src/net/static_files.cpp')
log=$(mktemp)
if ! printf '%s\n' $tidy_files | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet > "$log" 2>&1; then
  grep -v "warnings generated" "$log"; rm -f "$log"; exit 1
fi
rm -f "$log"
echo "clang-tidy: $(echo "$tidy_files" | wc -w) files clean"
