#pragma once
// One WebSocket connection, whatever its endpoint: accept the upgrade, authenticate the first
// message ({"type":"auth","token"} within auth_timeout, else close 4401), answer
// {"type":"auth.ok","user"}, create the endpoint's handler, then pass it every message. Output
// goes through one write queue with one write in flight, bounded in messages and bytes (see
// SlowClientPolicy in websocket_endpoint.hpp). The Origin check happened before the upgrade.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>

#include "net/server_state.hpp"
#include "net/streams.hpp"

namespace ailab::net {

template <class Stream>
boost::asio::awaitable<void> run_websocket_session(ServerState& state, Stream stream,
                                                   boost::beast::http::request<boost::beast::http::string_body> request,
                                                   WebSocketRegistry::Match match,
                                                   std::shared_ptr<Connection> connection);

extern template boost::asio::awaitable<void> run_websocket_session<PlainStream>(
    ServerState&, PlainStream, boost::beast::http::request<boost::beast::http::string_body>,
    WebSocketRegistry::Match, std::shared_ptr<Connection>);
extern template boost::asio::awaitable<void> run_websocket_session<TlsStream>(
    ServerState&, TlsStream, boost::beast::http::request<boost::beast::http::string_body>, WebSocketRegistry::Match,
    std::shared_ptr<Connection>);

}  // namespace ailab::net
