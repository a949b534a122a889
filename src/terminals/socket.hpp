#pragma once
// The terminal WebSocket, /api/v1/terminals/{id}/ws (docs/API.md "Terminals"): the house's
// endpoint does the Origin check and the first-message auth; this handler takes the attach message
// and then the binary frames. Only an authenticated user who may see the terminal ever reaches it.

#include "net/websocket_endpoint.hpp"

namespace ailab::terminals {

class TerminalHost;

void register_terminal_socket(net::WebSocketRegistry& websockets, TerminalHost& host);

}  // namespace ailab::terminals
