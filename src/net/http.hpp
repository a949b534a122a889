#pragma once
// Plain request/response structs that handlers see. The socket layer (server.cpp) converts Beast
// messages to and from these, so feature code and its tests never include Beast or Asio.

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ailab::net {

enum class Method { get, head, post, put, patch, del, options, other };

std::string_view method_name(Method method);
Method parse_method(std::string_view name);

struct Request {
    Method method = Method::get;
    std::string path;                                          // decoded path, without the query string
    std::string query_string;                                  // raw, after '?'
    std::map<std::string, std::string> query;                  // decoded query parameters
    std::map<std::string, std::string> params;                 // from the route pattern, e.g. {id}
    std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
    std::string body;
    std::string remote_address;
    std::string user;   // set by the router after the token was checked
    std::string token;  // the bearer token that authenticated this request

    // Case-insensitive header lookup; "" when absent.
    std::string_view header(std::string_view name) const;
    // Query parameter or fallback.
    std::string query_or(const std::string& key, const std::string& fallback) const;
};

// The source of a streamed body. The session calls it on the worker pool (never on an I/O thread),
// one call at a time and only after the previous chunk was written to the socket, so a slow client
// slows the producer and at most one chunk is held. It returns the next chunk (an empty one is
// skipped), or nullopt at the end. When the client disconnects, the server stops, or the producer
// throws, it is not called again and is destroyed (releasing what it holds); a throw after the
// header went out ends the connection without the last chunk, so the client sees a cut body.
using BodyProducer = std::function<std::optional<std::string>()>;

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    // When set, the body is streamed from it with chunked transfer encoding and `body` is ignored.
    BodyProducer producer;

    void set_header(std::string name, std::string value);
    std::string_view header(std::string_view name) const;

    static Response json_text(int status, std::string body);
    static Response error(int status, std::string_view message);
    static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
    // A 200 whose body comes from producer while it is sent (see BodyProducer).
    static Response stream(std::string content_type, BodyProducer producer);
};

// Thrown by handlers for expected failures (bad input, not found). The router's wrapper turns it
// into {"error": message} with the status; anything else that escapes becomes a logged 500.
class HttpError : public std::runtime_error {
public:
    HttpError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
    int status() const { return status_; }

private:
    int status_;
};

// Percent-decoding for paths and query values ('+' is a space only in queries). nullopt for a bad
// escape and for a NUL, escaped (%00) or raw: a decoded text never holds a NUL.
enum class DecodeMode { path, query };
std::optional<std::string> percent_decode(std::string_view text, DecodeMode mode);
// Decoded query parameters; nullopt when a key or value holds a bad %-escape or a NUL (the caller
// answers 400 rather than silently applying defaults).
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query_string);

// The path of a request target (the part before '?'), decoded, or nullopt when it must be refused
// with 400: a bad or NUL escape, a path that does not start with '/' before decoding ("", "%2fetc"),
// or one with a "." or ".." segment ("/a/../b", "/%2e%2e/x"). Repeated slashes become one ("//etc"
// is "/etc"), so an accepted path stays beneath any root its remainder is joined to.
std::optional<std::string> decode_request_path(std::string_view target_path);

}  // namespace ailab::net
