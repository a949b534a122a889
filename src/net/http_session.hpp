#pragma once
// One HTTP connection: TLS handshake when TLS is on, then requests until the client closes, the
// idle timeout (60 s) passes or the server stops. Each request gets a fresh parser (16 MiB body
// limit, 32 KiB headers). Requests under /api and /metrics go to the Router, a WebSocket upgrade
// to the endpoint registered for its path (after the Origin check), the rest to the embedded UI.
// Malformed requests get a 400 (413 for a body over the limit) and the connection is closed.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/http.hpp"
#include "net/server_state.hpp"

namespace ailab::net {

boost::asio::awaitable<void> run_http_session(ServerState& state, boost::asio::ip::tcp::socket socket,
                                              std::shared_ptr<Connection> connection);

// The parts of a request's handling that need no socket. prepare_request decodes and checks the
// target (path, query) into request and returns the error answer when it is refused;
// respond() then answers it: CORS preflight, the router, or the static files.
std::optional<Response> prepare_request(Request& request, std::string_view raw_target);
Response respond(const ServerState& state, Request& request);

}  // namespace ailab::net
