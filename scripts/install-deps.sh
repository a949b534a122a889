#!/usr/bin/env bash
# Installs what building, running and testing AI Lab needs on Debian 12, skipping what is present.
# Idempotent: safe to run on every `make run` / `make test`.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git python3
  libboost1.81-dev libboost-json1.81-dev
  libssl-dev openssl libsimdjson-dev libsqlite3-dev sqlite3 libsodium-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev zlib1g-dev libyaml-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  slurm-wlm munge
  nodejs npm chromium wrk clang-format clang-tidy curl procps
  clang libclang-rt-14-dev llvm ccache
)
# slurm-wlm + munge: the Slurm tests start a real one-node Slurm (scripts/slurm-up.sh); no daemon is
# started by the install.
# ccache: the Makefile and scripts/fuzz.sh compile C++ through it when present (a clone elsewhere hits too).
# clang + libclang-rt-14-dev: libFuzzer and the sanitizer runtimes for `make fuzz` (clang 14's
# -fsanitize=fuzzer links libclang_rt.fuzzer from libclang-rt-14-dev); llvm: llvm-symbolizer,
# so sanitizer reports name functions and lines. clang-tidy ships run-clang-tidy (scripts/lint.sh).
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from outside Debian's packages (the machine image ships them): accept what is on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=(); for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
