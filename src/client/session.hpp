#pragma once
// Which server a command talks to, and with what token and certificate check: --server URL, else
// the credentials file's default.

#include <string>

#include "client/server_access.hpp"
#include "core/error.hpp"

namespace ailab::client {

// `server` is the --server option ("" for the default). Errors say what to run: "not logged in
// to URL; run: ailab login URL".
core::Result<ServerAccess> resolve_server(const std::string& server);

}  // namespace ailab::client
