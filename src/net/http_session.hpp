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

// The part of a request's handling that needs no socket: path decoding and checks, CORS, the
// router or the static files. `host_present` is false for an HTTP/1.1 request without Host.
Response handle_request(const ServerState& state, Request& request, std::string_view raw_target);

}  // namespace ailab::net
