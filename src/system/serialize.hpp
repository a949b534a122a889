#pragma once
// JSON for the system API (docs/API.md, "System"): the edge where plain samples become JSON.

#include <boost/json/object.hpp>
#include <string>

#include "system/history.hpp"
#include "system/sample.hpp"

namespace ailab::sys {

// GET /api/v1/system for a sampled machine: {"cluster":false,"time",...,"gpu_status"}.
boost::json::object sample_to_json(const SystemSample& sample);

// GET /api/v1/system in cluster mode: {"cluster":true,"gpu_status":"disabled"}.
boost::json::object cluster_to_json();

// The WebSocket message: {"type":"system.sample", ...the same fields as sample_to_json...}.
std::string sample_message(const SystemSample& sample);

// GET /api/v1/system/history: {"range":"1h","interval_s":1,"samples":[{"time","cpu_percent",
// "memory_percent","gpus":[{"id","utilization","memory_used_bytes"}]}]}.
boost::json::object history_to_json(const HistorySnapshot& snapshot);

}  // namespace ailab::sys
