#pragma once
// Which browser origins may call the API (CORS) and open WebSockets. Kept apart from the socket
// code so that the rules have unit tests of their own.

#include <string>
#include <string_view>
#include <vector>

namespace ailab::net {

// The scheme the server itself is reached by (its own origin is scheme + Host).
enum class Scheme { http, https };

class OriginPolicy {
public:
    // allowed: normalised origins from the config's allowed_origins.
    OriginPolicy(std::vector<std::string> allowed, Scheme scheme) : allowed_(std::move(allowed)), scheme_(scheme) {}

    // CORS: only origins listed in allowed_origins get Access-Control-* headers.
    bool cors_allowed(std::string_view origin) const;
    // WebSocket upgrade: no Origin (not a browser: the auth message still decides), the server's
    // own origin (scheme + Host), or a listed origin.
    bool websocket_allowed(std::string_view origin, std::string_view host) const;

private:
    std::vector<std::string> allowed_;
    Scheme scheme_;
};

}  // namespace ailab::net
