#pragma once
// Jobs and GPU lanes as the API's JSON (docs/API.md "Jobs"), and the submit request parsed from it.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "jobs/job.hpp"
#include "jobs/service.hpp"

namespace ailab::jobs {

// `full` carries git.diff (GET /jobs/{id}); `summary` leaves it out (lists, events) and says how long
// it is in git.diff_bytes.
enum class Detail { summary, full };
boost::json::object to_json(const Job& job, Detail detail = Detail::summary);
boost::json::array to_json(const std::vector<GpuLane>& lanes);
boost::json::object to_json(const ClusterState& cluster);
// {"type": type, "job": {...}} serialised.
std::string job_event(std::string_view type, const Job& job);
std::string lanes_event(const std::vector<GpuLane>& lanes);

// The body of POST /api/v1/jobs; an Error (invalid_argument) names the field that is wrong.
core::Result<SubmitRequest> parse_submit(std::string_view body);
// The body of POST /api/v1/jobs/batch: {"jobs": [1..max_batch_jobs of what parse_submit takes]};
// an error names the job by its index ("jobs[3]: ...").
inline constexpr std::size_t max_batch_jobs = 1000;
core::Result<std::vector<SubmitRequest>> parse_submit_batch(std::string_view body);

}  // namespace ailab::jobs
