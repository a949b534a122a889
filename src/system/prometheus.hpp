#pragma once
// GET /metrics in the Prometheus text exposition format 0.0.4: every family once, with # HELP and
// # TYPE lines before its samples; a family with no samples is left out, and so is a series whose
// value is unknown (a GPU field NVML does not support, a disk whose folder is missing).
//
// Families (all gauges unless marked):
//   ailab_system_sample_timestamp_seconds
//   ailab_cpu_utilization_ratio, ailab_cpu_core_utilization_ratio{core}, ailab_load_average{period="1m|5m|15m"}
//   ailab_memory_{total,used,available}_bytes, ailab_swap_{total,used}_bytes
//   ailab_disk_{total,free}_bytes{role,path}
//   ailab_gpu_status{status="ok|no library|no devices|error|disabled"} 1
//   ailab_gpu_info{gpu,name,uuid} 1, ailab_gpu_error{gpu} 0|1, ailab_gpu_utilization_ratio{gpu},
//   ailab_gpu_memory_{used,total}_bytes{gpu}, ailab_gpu_temperature_celsius{gpu},
//   ailab_gpu_power_watts{gpu}, ailab_gpu_power_limit_watts{gpu}, ailab_gpu_processes{gpu}
//   ailab_system_samples_total (counter), ailab_system_sample_duration_seconds,
//   ailab_system_sampler_cpu_seconds_total (counter)
// In cluster mode nothing is written here (other features add their families, e.g. ailab_runs).
// `gpu` is the CUDA-style id of GET /api/v1/system.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "system/sample.hpp"

namespace ailab::sys {

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

struct SamplerStats {
    std::uint64_t samples = 0;         // samples taken since start
    double last_sample_seconds = 0.0;  // wall time the last sample took
    double cpu_seconds = 0.0;          // CPU time the sampler thread used since start
};

struct MetricsInput {
    const SystemSample* sample = nullptr;  // nullptr in cluster mode and before the first sample
    const SamplerStats* stats = nullptr;   // nullptr in cluster mode
};

std::string render_metrics(const MetricsInput& input);

// Label value escaping of the text format: backslash, double quote and line feed.
std::string escape_label_value(std::string_view value);

}  // namespace ailab::sys
