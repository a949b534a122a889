#pragma once
// The /api/v1/ws endpoint: after the first-message authentication (done by the session for every
// endpoint), a client subscribes to Hub topics and receives what features publish on them.
//
// Client messages: {"type":"subscribe"|"unsubscribe","topics":[names]}, {"type":"ping"}.
// Answers: {"type":"subscribed","topics":[what this message subscribed]} (with "unknown":[names]
// when some names are not declared topics), {"type":"unsubscribed","topics":[...]},
// {"type":"pong"}, {"type":"error","error":...}. Only declared topics can be subscribed, and each
// answer lists only what its message changed, so an answer is never larger than the message
// that asked for it.

#include "net/hub.hpp"
#include "net/websocket_endpoint.hpp"

namespace ailab::net {

inline constexpr std::string_view topics_endpoint_path = "/api/v1/ws";

// Registers /api/v1/ws on the registry (drop-slow-client policy).
void register_topics_endpoint(WebSocketRegistry& registry, Hub& hub);

}  // namespace ailab::net
