#pragma once
// `ailab jobs`: the API's job list as plain rows, and the table printed from them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace ailab::client {

struct JobRow {
    std::int64_t id = 0;
    std::string state;
    std::string name;  // the job's name, else its command
    std::string user;
    std::string gpus;  // held "0,2"; while queued what it asks for ("2", "ids 0,2"); "-" for none
    std::string reason;
    double submitted_at = 0;
    std::optional<double> started_at;
    std::optional<double> ended_at;
};

// The answer of GET /api/v1/jobs ({"jobs":[…]}). Errors: not JSON, no "jobs" list.
core::Result<std::vector<JobRow>> parse_job_rows(std::string_view text);

// Columns ID STATE NAME USER GPUS WAITED RAN REASON; times relative to `now` (Unix seconds) for
// jobs that still wait or run. Names longer than 32 characters are cut with "…".
std::string format_jobs_table(const std::vector<JobRow>& rows, double now);

}  // namespace ailab::client
