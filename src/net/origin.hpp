#pragma once
// Which browser origins may call the API (CORS) and open WebSockets. Kept apart from the socket
// code so that the rules have unit tests of their own.

#include <string>
#include <string_view>
#include <vector>

namespace ailab::net {

class OriginPolicy {
public:
    // allowed: normalised origins from the config's allowed_origins.
    OriginPolicy(std::vector<std::string> allowed, bool tls) : allowed_(std::move(allowed)), tls_(tls) {}

    // CORS: only origins listed in allowed_origins get Access-Control-* headers.
    bool cors_allowed(std::string_view origin) const;
    // WebSocket upgrade: no Origin (not a browser: the auth message still decides), the server's
    // own origin (scheme + Host), or a listed origin.
    bool websocket_allowed(std::string_view origin, std::string_view host) const;

private:
    std::vector<std::string> allowed_;
    bool tls_;
};

}  // namespace ailab::net
