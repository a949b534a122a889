#pragma once
// GET /metrics in the Prometheus text exposition format 0.0.4: every family once, with # HELP and
// # TYPE lines before its samples; a family with no samples is left out.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "system/sample.hpp"

namespace ailab::sys {

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

struct SamplerStats {
    std::uint64_t samples = 0;          // samples taken since start
    double last_sample_seconds = 0.0;   // wall time the last sample took
    double cpu_seconds = 0.0;           // CPU time the sampler thread used since start
};

struct MetricsInput {
    const SystemSample* sample = nullptr;  // nullptr in cluster mode and before the first sample
    const SamplerStats* stats = nullptr;   // nullptr in cluster mode
    const std::map<std::string, std::size_t>* run_counts = nullptr;  // state -> runs; nullptr when unknown
};

std::string render_metrics(const MetricsInput& input);

// Label value escaping of the text format: backslash, double quote and line feed.
std::string escape_label_value(std::string_view value);

}  // namespace ailab::sys
