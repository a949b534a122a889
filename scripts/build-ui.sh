#!/usr/bin/env bash
# Builds ui/dist: installs the locked npm packages when they are missing or stale, then vite build.
set -euo pipefail
cd "$1"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
