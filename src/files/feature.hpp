#pragma once
// Projects and files behind the seam of net/feature.hpp (docs/API.md "Projects and files"): owns
// Projects, the Roots (project:, run: and job: through the RunService and JobService that the runs
// and jobs features provide) and the ContentStore, and registers the routes. No threads of its own.

#include <memory>

#include "net/feature.hpp"

namespace ailab::files {

std::unique_ptr<net::Feature> make_feature(net::FeatureContext& context);

}  // namespace ailab::files
