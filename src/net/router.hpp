#pragma once
// Maps (method, path pattern) to handlers. Patterns are literal segments and {name} captures:
// "/api/v1/runs/{id}/metrics". Every route declares whether it needs a token; dispatch() checks it,
// so a new route cannot forget authentication (tests iterate routes() and expect 401 without one).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/http.hpp"

namespace ailab::net {

enum class Access { public_route, token_required };

// Where a handler runs. io_thread: on the connection's I/O thread, for handlers that answer from
// memory in microseconds. worker: on the server's small worker pool, for handlers that may take
// long (reading a large file, an argon2 check), so that they never hold up other connections.
enum class Execution { io_thread, worker };

using Handler = std::function<Response(Request&)>;

struct RouteInfo {
    Method method;
    std::string pattern;
    Access access;
    Execution execution = Execution::io_thread;
    // The largest request body the route takes; 0: the server's default (16 MiB). A route that
    // takes more (sync blob uploads) and needs a token has the token checked before its body is read.
    std::size_t max_body_bytes = 0;
};

// Checks a bearer token; returns the user name when valid. Thread-safe implementations only.
using TokenVerifier = std::function<std::optional<std::string>(std::string_view token)>;

// The bearer token of an Authorization header value ("" when there is none).
std::string_view bearer_token_of(std::string_view authorization);

class Router {
public:
    // Register before the server starts; not thread-safe against dispatch().
    void add(Method method, std::string pattern, Access access, Handler handler,
             Execution execution = Execution::io_thread, std::size_t max_body_bytes = 0);

    // The route a method and decoded path name, or null (HEAD finds GET routes).
    const RouteInfo* find(Method method, std::string_view path) const;

    // Where the route that request.path and method name runs (io_thread when none matches).
    Execution execution_of(const Request& request) const;

    // Finds the route, checks the token when needed, runs the handler inside the error wrapper.
    // 404 for an unknown path, 405 for a known path with another method. Thread-safe.
    Response dispatch(Request& request, const TokenVerifier& verify) const;

    std::vector<RouteInfo> routes() const;

private:
    struct Route {
        RouteInfo info;
        std::vector<std::string> segments;  // "{id}" marks a capture
        Handler handler;
    };
    std::vector<Route> routes_;
};

// Splits "/a/b/c" into {"a","b","c"}.
std::vector<std::string> split_path(std::string_view path);

}  // namespace ailab::net
