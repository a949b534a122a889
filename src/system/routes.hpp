#pragma once
// GET /api/v1/system, GET /api/v1/system/history and GET /metrics (docs/API.md, "System").

#include <vector>

#include "net/feature.hpp"
#include "net/router.hpp"
#include "system/settings.hpp"

namespace ailab::sys {

class SystemService;

// /metrics is public when settings.metrics_public, else it needs the token like the other two. It
// writes the system families, then what each of `metric_writers` adds (other features' families);
// the list is read at every request, so features may add writers after this call.
// `service` and `metric_writers` must outlive the router.
void register_system_routes(net::Router& router, SystemService& service, const Settings& settings,
                            const std::vector<net::MetricsWriter>& metric_writers);

}  // namespace ailab::sys
