#!/usr/bin/env bash
# Stops what scripts/slurm-up.sh DIR started (slurmd, slurmctld, munged) and waits for them to go.
set -uo pipefail
dir="${1:?usage: slurm-down.sh DIR}"
for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [ -n "$pid" ] || continue
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
done
exit 0
