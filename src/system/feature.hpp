#pragma once
// The system feature: the sampler service, its routes (/api/v1/system, /history, /metrics) and
// the "system" topic.

#include <memory>

#include "net/feature.hpp"

namespace ailab::sys {

std::unique_ptr<net::Feature> make_feature(net::FeatureContext& context);

}  // namespace ailab::sys
