#include "net/origin.hpp"

#include <algorithm>

#include "core/config.hpp"

namespace ailab::net {

bool OriginPolicy::cors_allowed(std::string_view origin) const {
    if (origin.empty()) return false;
    const auto normal = core::normalise_origin(origin);
    return !normal.empty() && std::find(allowed_.begin(), allowed_.end(), normal) != allowed_.end();
}

bool OriginPolicy::websocket_allowed(std::string_view origin, std::string_view host) const {
    if (origin.empty()) return true;
    const auto normal = core::normalise_origin(origin);
    if (normal.empty()) return false;
    const auto own =
        core::normalise_origin(std::string(scheme_ == Scheme::https ? "https://" : "http://") + std::string(host));
    return normal == own || cors_allowed(origin);
}

}  // namespace ailab::net
