#pragma once
// The address of an AI Lab server as the user types it: `http://host:port` or `https://host:port`,
// optionally with a path prefix (a server behind a reverse proxy at /lab).

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace ailab::client {

enum class Scheme { http, https };

struct ServerUrl {
    Scheme scheme = Scheme::http;
    std::string host;  // a name or an address; IPv6 without its brackets
    std::string port;  // "80" / "443" when the URL names none
    std::string base;  // the path prefix without a trailing '/', usually ""
    // The URL as given with trailing '/' removed and the scheme in lower case: the key of the
    // server in the credentials file (the Python client derives the same key).
    std::string text;

    // The Host header: host[:port], IPv6 in brackets.
    std::string host_header() const;
    // base + path ("/api/v1/jobs" → "/lab/api/v1/jobs").
    std::string target(std::string_view path) const { return base + std::string(path); }
};

// Errors (clear text for the user): no http:// or https://, no host, a bad port, a query or
// fragment, user info ("user@host": log in with --user instead).
core::Result<ServerUrl> parse_server_url(std::string_view text);

// True when host is a literal IPv4 or IPv6 address (no SNI and no host name check then).
bool is_ip_address(std::string_view host);

}  // namespace ailab::client
