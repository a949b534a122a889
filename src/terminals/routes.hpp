#pragma once
// The terminal routes of docs/API.md "Terminals": POST/GET /api/v1/terminals and
// DELETE /api/v1/terminals/{id}. Every one needs a token (a terminal is a shell).

#include "net/router.hpp"

namespace ailab::terminals {

class TerminalHost;

void register_terminal_routes(net::Router& router, TerminalHost& host);

}  // namespace ailab::terminals
