#pragma once
// GET /api/v1/system, GET /api/v1/system/history and GET /metrics (docs/API.md, "System").

#include <cstddef>
#include <functional>
#include <map>
#include <string>

#include "core/config.hpp"
#include "net/router.hpp"

namespace ailab::sys {

class SystemService;

// State -> number of runs, for ailab_runs{state=...}; may be empty (no runs family then).
// Called on an I/O thread for every GET /metrics, so it must be thread-safe.
using RunStateCounts = std::function<std::map<std::string, std::size_t>()>;

// /metrics is public when config.metrics_public, else it needs the token like the other two.
// `service` must outlive the router.
void register_system_routes(net::Router& router, SystemService& service, const core::Config& config,
                            RunStateCounts run_counts);

}  // namespace ailab::sys
