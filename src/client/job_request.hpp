#pragma once
// `ailab submit`'s options checked and turned into the body of POST /api/v1/jobs. Every error
// here is a usage error (exit code 2): it is found before anything is sent.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/command_line.hpp"
#include "core/error.hpp"

namespace ailab::client {

struct JobRequest {
    std::vector<std::string> command;
    std::string name;     // "" = the server's default
    std::string project;  // a project on the server ("" = the synced snapshot)
    std::string snapshot;
    std::optional<int> gpus;
    std::vector<int> gpu_ids;
    std::string group;
    std::optional<int> priority;
    std::vector<std::int64_t> after;
    std::map<std::string, std::string> env;  // a name given twice: the last value
    std::optional<std::int64_t> time_limit_s;
};

// Errors: an empty command, --gpus below 0, --gpus with --gpu-ids, --project with --dir, a bad
// --gpu-ids / --after / --env / --time (each names the value).
core::Result<JobRequest> prepare_job_request(const SubmitOptions& options);

// The JSON body; only what was given is sent (the server applies its defaults).
std::string job_request_json(const JobRequest& request);

}  // namespace ailab::client
