#pragma once
// The job host behind the seam of net/feature.hpp: reads its config keys (jobs/settings.hpp), owns
// the JobService and the output streamer, declares the topic "jobs", registers the routes of
// docs/API.md "Jobs" and "Code sync", the output WebSocket and the ailab_jobs{state} gauges.

#include <memory>

#include "net/feature.hpp"

namespace ailab::jobs {

std::unique_ptr<net::Feature> make_feature(net::FeatureContext& context);

}  // namespace ailab::jobs
