#pragma once
// The auth feature: users and tokens (net::Auth), POST /api/v1/login and /logout, and the token
// check every other route and WebSocket uses (it sets FeatureContext::verify_token).

#include <memory>

#include "net/feature.hpp"

namespace ailab::net {

std::unique_ptr<Feature> make_auth_feature(FeatureContext& context);

}  // namespace ailab::net
