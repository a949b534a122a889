#pragma once
// Serves the embedded web UI: ETag/304, gzip when the client accepts it (identity otherwise),
// `no-cache` for index.html, `immutable` for content-hashed assets.

#include <optional>
#include <span>

#include "net/embedded_assets.hpp"
#include "net/http.hpp"

namespace ailab::net {

// nullopt when no asset has that path ("/" means "/index.html").
std::optional<Response> serve_static(const Request& request, std::span<const EmbeddedAsset> assets);

// True when an Accept-Encoding value allows gzip (honours "gzip;q=0").
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace ailab::net
