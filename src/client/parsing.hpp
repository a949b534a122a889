#pragma once
// The small languages of the command line: durations (--time), GPU id lists (--gpu-ids),
// environment assignments (--env), and the human form of durations in `ailab jobs`.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace ailab::client {

// "90" (seconds), "90s", "30m", "2h", "1d", and combinations from the largest unit down, each
// unit once: "1h30m", "1d12h", "2m30s". Errors: empty, a unit out of order or twice, an unknown
// unit, a missing number, zero in all, more than 10 years.
core::Result<std::int64_t> parse_duration_seconds(std::string_view text);

// "0,2" → {0, 2}. Errors: empty, an empty item, a non-number, a negative id, an id twice.
core::Result<std::vector<int>> parse_gpu_ids(std::string_view text);

// "K=V" → {K, V}; V may hold '=' and may be empty. K must be a shell-style name
// ([A-Za-z_][A-Za-z0-9_]*), as the server requires.
core::Result<std::pair<std::string, std::string>> parse_env_assignment(std::string_view text);

// A job id on the command line: a positive integer.
core::Result<std::int64_t> parse_job_id(std::string_view text);

// The short human form used in tables: "45s", "12m05s", "3h07m", "2d04h"; "-" for a negative value.
std::string format_duration(double seconds);

// Byte counts for progress lines: "532 B", "20.0 MB" (decimal units, one decimal).
std::string format_bytes(std::int64_t bytes);

}  // namespace ailab::client
