#!/usr/bin/env bash
# GPU check for the system sampler (issue 4): on a machine with NVIDIA GPUs, runs the server's
# sampler once through the prebuilt `ailab_gpu_probe` (it builds nothing) and prints what it read
# beside nvidia-smi's view of the same GPUs and processes, then the per-GPU sample cost, and the
# Google Benchmark figures when `ailab_system_bench` is in the build folder and runs there.
#
# usage: bench/gpu_check.sh [BUILD_DIR]      (default: build)
#   GPU_CHECK_REPEAT=N   samples to average for the cost (default 2000)
#   GPU_CHECK_GPUS=0,1   restrict to these CUDA ids, as the config's "gpus" does
#   GPU_CHECK_LOAD=S     first start bench/gpu_load.py for S seconds (PyTorch matrix products), so
#                        utilisation, memory and a compute process show up on both sides
set -uo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
probe="$build/bench/ailab_gpu_probe"
repeat="${GPU_CHECK_REPEAT:-2000}"
if [ ! -x "$probe" ]; then
  echo "no $probe: build the tree first (it is built with everything else: ninja -C $build ailab_gpu_probe)" >&2
  exit 1
fi

echo "== machine"
uname -srm
nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1 | sed 's/^/driver: /' || true
echo

if [ -n "${GPU_CHECK_LOAD:-}" ]; then
  python3 bench/gpu_load.py "$GPU_CHECK_LOAD" &
  load_pid=$!
  trap 'kill $load_pid 2>/dev/null' EXIT
  sleep "${GPU_CHECK_LOAD_WARMUP:-8}"
  echo
fi

echo "== ailab sampler (ailab_gpu_probe)"
args=(--repeat "$repeat")
[ -n "${GPU_CHECK_GPUS:-}" ] && args+=(--gpus "$GPU_CHECK_GPUS")
"$probe" "${args[@]}"
probe_status=$?
echo

echo "== nvidia-smi"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=index,pci.bus_id,name,uuid,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw,power.limit --format=csv
  echo
  nvidia-smi --query-compute-apps=pid,used_memory --format=csv
  echo
  # Time nvidia-smi itself, as a GPUtil-style sampler would spawn it.
  start=$(date +%s%N)
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader >/dev/null
  end=$(date +%s%N)
  echo "one nvidia-smi query: $(( (end - start) / 1000 )) us"
else
  echo "nvidia-smi not found"
fi
echo

bench="$build/bench/ailab_system_bench"
if [ -x "$bench" ]; then
  echo "== ailab_system_bench (sample costs)"
  AILAB_BENCH_SHARE_SECONDS="${AILAB_BENCH_SHARE_SECONDS:-5}" "$bench" --benchmark_filter='BM_HostSample|BM_GpuSample|BM_SamplerShare' 2>&1 ||
    echo "(ailab_system_bench did not run here: it links this build's shared libraries; the probe above has the figures)"
fi
exit $probe_status
