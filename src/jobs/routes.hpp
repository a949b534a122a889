#pragma once
// The job and code-sync routes of docs/API.md "Jobs" and "Code sync". Every one needs a token
// (submitting a job runs code) and runs on the worker pool (they wait for the job service or touch
// the disk).

#include "net/router.hpp"

namespace ailab::jobs {

class JobService;

void register_job_routes(net::Router& router, JobService& service);
void register_sync_routes(net::Router& router, JobService& service);

}  // namespace ailab::jobs
