#pragma once
// Server-level routes: health, info, the route list, the /api/v1/ws topics endpoint and the
// WebSocket test topic.

#include <memory>

#include "net/feature.hpp"

namespace ailab::app {

std::unique_ptr<net::Feature> make_core_feature(net::FeatureContext& context);

}  // namespace ailab::app
