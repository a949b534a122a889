#pragma once
// The HTTP/WebSocket server: one listener, one coroutine per connection on its own strand,
// plain TCP or TLS on the same code path. Requests under /api and /metrics go to the Router;
// GET /api/v1/ws upgrades to a WebSocket that authenticates in its first message and then
// subscribes to Hub topics; everything else is the embedded web UI.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/config.hpp"
#include "net/auth.hpp"
#include "net/embedded_assets.hpp"
#include "net/hub.hpp"
#include "net/router.hpp"

namespace ailab::net {

struct ServerInfo {
    std::string url;              // e.g. "http://127.0.0.1:12345"
    std::uint16_t port = 0;       // the bound port (useful with port 0)
    std::string tls_fingerprint;  // SHA-256 when TLS is on
};

class Server {
public:
    Server(const core::Config& config, const Router& router, Hub& hub, Auth& auth,
           std::span<const EmbeddedAsset> assets);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds, calls on_listening, and serves on config.threads threads until SIGINT/SIGTERM or
    // stop(). Shutdown: stop accepting, close every session (WebSockets with "going away"),
    // give open requests up to 2 s to finish, then return. Throws on a bind failure.
    void run(const std::function<void(const ServerInfo&)>& on_listening);
    void stop();  // thread-safe

    struct Impl;  // defined in server.cpp; public so that session classes there can name it

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace ailab::net
