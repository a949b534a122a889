#pragma once
// `ailab submit`'s options checked and turned into the body of POST /api/v1/jobs (or, for a sweep,
// of POST /api/v1/jobs/batch). Every error here is a usage error (exit code 2): it is found before
// anything is sent.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/command_line.hpp"
#include "core/error.hpp"

namespace ailab::client {

// `--sweep NAME=V1,V2,…`: one job per value; several sweeps give one job per combination.
struct Sweep {
    std::string name;
    std::vector<std::string> values;
};

// The most jobs one sweep may make: what POST /api/v1/jobs/batch takes.
inline constexpr std::size_t max_sweep_jobs = 1000;

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
    std::vector<Sweep> sweeps;  // empty: one job
};

// Errors: an empty command, --gpus below 0, --gpus with --gpu-ids, --project with --dir, a bad
// --gpu-ids / --after / --env / --time / --sweep (each names the value), --follow with --sweep, a
// sweep whose {NAME} is nowhere, one named twice, more than max_sweep_jobs combinations.
core::Result<JobRequest> prepare_job_request(const SubmitOptions& options);

// "lr=0.1,0.01" → {"lr", {"0.1", "0.01"}}. Errors: no '=', a bad name (letters, digits and '_',
// not starting with a digit), no value, an empty value, a value given twice.
core::Result<Sweep> parse_sweep(std::string_view text);

// The jobs of a sweep, in nested-loop order (the first sweep varies slowest): each with {NAME}
// replaced in the command's arguments, the --env values and --name. A job's name is --name (with
// its placeholders) or the program's file name, followed by the combination unless --name already
// shows every value ("train.py lr=0.1 bs=32"). Without sweeps: the request itself.
std::vector<JobRequest> expand_sweeps(const JobRequest& request);

// The JSON body; only what was given is sent (the server applies its defaults).
std::string job_request_json(const JobRequest& request);
// {"jobs":[…]}: the body of POST /api/v1/jobs/batch.
std::string job_batch_json(const std::vector<JobRequest>& requests);

}  // namespace ailab::client
