#pragma once
// The HTTP/WebSocket server: binds, then runs the listener and the sessions on config.threads
// threads until SIGINT/SIGTERM or stop(). The rooms:
//   listener.*           accepts, admits (connection limits), backs off at the descriptor limit
//   http_session.*       one connection's requests: parse, route, write; upgrades to ...
//   websocket_session.*  one WebSocket: first-message auth, write queue with limits, the handler
//   server_state.hpp     what they share (config, router, endpoint registry, connection table)
// Features never include these: they see net::Request/Response, Router and WebSocketRegistry.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/config.hpp"
#include "net/embedded_assets.hpp"
#include "net/router.hpp"
#include "net/websocket_endpoint.hpp"

namespace ailab::net {

struct ServerInfo {
    std::string url;              // e.g. "http://127.0.0.1:12345"
    std::uint16_t port = 0;       // the bound port (useful with port 0)
    std::string tls_fingerprint;  // SHA-256 when TLS is on
};

struct ServerState;

class Server {
public:
    Server(const core::Config& config, const Router& router, const WebSocketRegistry& websockets,
           TokenVerifier verify, std::span<const EmbeddedAsset> assets);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds, calls on_listening, and serves until SIGINT/SIGTERM or stop(). Shutdown: stop
    // accepting, close every session, give open requests up to 2 s to finish, then return.
    // Throws on a bind failure.
    void run(const std::function<void(const ServerInfo&)>& on_listening);
    void stop();  // thread-safe

private:
    void shutdown();
    void wait_for_drain();

    std::unique_ptr<ServerState> state_;
    struct Parts;  // the acceptor and timers, which need Asio's headers
    std::unique_ptr<Parts> parts_;
};

}  // namespace ailab::net
