#pragma once
// The system feature's own config keys.

#include <chrono>

#include "core/config_reader.hpp"

namespace ailab::sys {

struct Settings {
    std::chrono::milliseconds sample_interval{1000};  // "sample_interval_ms", 100..3600000
    bool metrics_public = false;                      // "metrics_public": GET /metrics without a token

    // Reads the keys through reader (nullptr: the defaults). Throws core::ConfigError.
    static Settings read(core::ConfigReader* reader);
};

}  // namespace ailab::sys
