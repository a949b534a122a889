#!/usr/bin/env bash
# Stops what scripts/slurm-up.sh DIR started (slurmd, slurmctld, munged): SIGTERM to all three,
# then SIGKILL to any still there after 3 s. Waits until they are gone.
set -uo pipefail
dir="${1:?usage: slurm-down.sh DIR}"
# The watchdog of slurm-up.sh DIR OWNER_PID is no longer needed (unless it is the caller).
if [ -f "$dir/watchdog.pid" ]; then
  watchdog="$(cat "$dir/watchdog.pid" 2>/dev/null || true)"
  [ -n "$watchdog" ] && [ "$watchdog" != "$$" ] && kill "$watchdog" 2>/dev/null
  rm -f "$dir/watchdog.pid"
fi
pids=()
for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && pids+=("$pid")
done
for _ in $(seq 1 30); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && exit 0
  sleep 0.1
done
for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
exit 0
