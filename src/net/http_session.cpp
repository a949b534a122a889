#include "net/http_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <limits>

#include "core/version.hpp"
#include "net/static_files.hpp"
#include "net/streams.hpp"
#include "net/websocket_session.hpp"

namespace ailab::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
namespace ip = asio::ip;
using BeastRequest = http::request<http::string_body>;
using BeastResponse = http::response<http::string_body>;

namespace {

bool is_api_path(std::string_view path) { return path.rfind("/api/", 0) == 0 || path == "/metrics"; }

// The response for a request the parser could not read, or that was refused before routing.
BeastResponse plain_error(http::status status, std::string_view message, unsigned version = 11) {
    BeastResponse out{status, version};
    out.set(http::field::server, std::string("ailab/") + ailab::version);
    out.set(http::field::content_type, "application/json");
    out.set("X-Content-Type-Options", "nosniff");
    out.body() = Response::error(static_cast<int>(status), message).body;
    out.prepare_payload();
    out.keep_alive(false);
    return out;
}

BeastResponse to_beast(Response response, Method method, unsigned version) {
    BeastResponse out{static_cast<http::status>(response.status), version};
    out.set(http::field::server, std::string("ailab/") + ailab::version);
    if (!response.content_type.empty()) out.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) out.set(name, value);
    if (response.status >= 400 || response.status < 200) out.set("X-Content-Type-Options", "nosniff");
    const auto size = response.body.size();
    if (method != Method::head) out.body() = std::move(response.body);
    if (response.status != 204 && response.status != 304) out.content_length(size);
    return out;
}

// Work handed to the worker pool with co_spawn(state.workers, ...). (A bare `co_await
// post(workers, use_awaitable)` would not do: Asio delivers the completion through the awaiting
// coroutine's own executor, so the code after it ran on the I/O thread again.) The pointers are to
// the awaiting session's frame, which waits for the result.
awaitable<Response> respond_on_worker(const ServerState* state, Request* request) {
    co_return respond(*state, *request);
}
awaitable<std::optional<std::string>> produce_on_worker(const BodyProducer* producer) { co_return (*producer)(); }

// Sends a streamed answer (Response::producer): the header, then one chunk per producer call with
// chunked transfer encoding (HTTP/1.0: the raw bytes, then the connection closes). Each chunk is
// produced on the worker pool only after the previous one was written, so one chunk is in flight
// and a slow reader slows the producer. A write error (the client left), the server stopping or
// the producer throwing ends the loop; the producer is then destroyed here. Returns whether the
// connection may serve another request.
template <class Stream>
awaitable<bool> write_streamed(ServerState& state, Stream& stream, Response answer, Method method, unsigned version,
                               bool keep_alive) {
    http::response<http::empty_body> head{static_cast<http::status>(answer.status), version};
    head.set(http::field::server, std::string("ailab/") + ailab::version);
    if (!answer.content_type.empty()) head.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) head.set(name, value);
    const bool chunked = version >= 11;
    head.keep_alive(keep_alive && chunked);
    if (chunked) head.chunked(true);
    http::response_serializer<http::empty_body> serializer{head};
    beast::get_lowest_layer(stream).expires_after(idle_timeout);
    auto [header_error, header_bytes] = co_await http::async_write_header(stream, serializer, use_tuple);
    if (header_error) co_return false;
    if (method == Method::head) co_return head.keep_alive();
    const BodyProducer producer = std::move(answer.producer);
    for (;;) {
        if (state.stopping) co_return false;
        std::optional<std::string> chunk;
        bool failed = false;
        try {
            chunk = co_await asio::co_spawn(state.workers, produce_on_worker(&producer), asio::use_awaitable);
        } catch (const std::exception& error) {
            spdlog::warn("streamed answer to {} cut: {}", std::string(head[http::field::content_type]), error.what());
            failed = true;
        }
        if (failed) co_return false;
        if (!chunk) break;
        if (chunk->empty()) continue;
        beast::get_lowest_layer(stream).expires_after(idle_timeout);
        boost::system::error_code write_error;
        if (chunked) {
            std::tie(write_error, std::ignore) =
                co_await asio::async_write(stream, http::make_chunk(asio::buffer(*chunk)), use_tuple);
        } else {
            std::tie(write_error, std::ignore) = co_await asio::async_write(stream, asio::buffer(*chunk), use_tuple);
        }
        if (write_error) co_return false;
    }
    if (!chunked) co_return false;  // HTTP/1.0: the end of the body is the end of the connection
    beast::get_lowest_layer(stream).expires_after(idle_timeout);
    auto [last_error, last_bytes] = co_await asio::async_write(stream, http::make_chunk_last(), use_tuple);
    co_return !last_error && head.keep_alive();
}

Request to_request(BeastRequest& raw, const std::string& remote) {
    Request request;
    request.method = parse_method(std::string_view(raw.method_string()));
    request.remote_address = remote;
    request.headers.reserve(16);
    for (const auto& field : raw) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = std::move(raw.body());
    return request;
}

// Parser errors that mean "the client sent something that is not HTTP we accept", as opposed
// to the connection ending or timing out.
bool is_malformed(const boost::system::error_code& error) {
    return error.category() == http::make_error_code(http::error::bad_method).category() &&
           error != http::error::end_of_stream && error != http::error::partial_message;
}

template <class Stream>
awaitable<void> close_stream(Stream& stream) {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
        co_await stream.async_shutdown(use_tuple);
    } else {
        boost::system::error_code ignored;
        stream.socket().shutdown(ip::tcp::socket::shutdown_send, ignored);
    }
}

enum class BodyAdmission { normal, large, too_large, refused_unauthenticated };

// The body limit of the route a request names, the server's default for anything else.
std::size_t route_body_limit(const ServerState& state, const BeastRequest& raw) {
    const std::string_view target(raw.target());
    const auto path = decode_request_path(target.substr(0, target.find('?')));
    if (!path) return max_body_bytes;
    const auto* route = state.router.find(parse_method(std::string_view(raw.method_string())), *path);
    return route != nullptr && route->max_body_bytes > max_body_bytes ? route->max_body_bytes : max_body_bytes;
}

// Decides, from the headers alone, whether the body may be larger than the default limit.
BodyAdmission admit_body(const ServerState& state, const BeastRequest& raw, boost::optional<std::uint64_t> length) {
    if (!length || *length <= max_body_bytes) return BodyAdmission::normal;
    const auto limit = route_body_limit(state, raw);
    if (limit > max_body_bytes) {  // a large-body route: only for a valid token, whatever the size
        const auto token = bearer_token_of(raw[http::field::authorization]);
        if (token.empty() || !state.verify(token)) return BodyAdmission::refused_unauthenticated;
    }
    return *length > limit ? BodyAdmission::too_large : BodyAdmission::large;
}

template <class Stream>
awaitable<void> serve_requests(ServerState& state, Stream stream, std::shared_ptr<Connection> connection) {
    // The stream now lives in this frame: the shutdown path must close this socket.
    connection->socket = &beast::get_lowest_layer(stream).socket();
    const std::string& remote = connection->remote_address;
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;  // a fresh parser per request
        // No limit while the header is read (Beast checks Content-Length against it at the end of
        // the header); the route's limit is set below, before any byte of the body is read.
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        parser.header_limit(max_header_bytes);
        beast::get_lowest_layer(stream).expires_after(idle_timeout);
        auto [error, bytes] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
        if (!error) {
            // A route may take a larger body (sync uploads); its token is checked first, so an
            // anonymous client cannot make the server read hundreds of megabytes.
            const auto admission = admit_body(state, parser.get(), parser.content_length());
            parser.body_limit(admission == BodyAdmission::large ? route_body_limit(state, parser.get())
                                                                : max_body_bytes);
            switch (admission) {
            case BodyAdmission::refused_unauthenticated:
                co_await http::async_write(
                    stream, plain_error(http::status::unauthorized, "authentication required for this upload"),
                    use_tuple);
                co_await close_stream(stream);
                connection->socket = nullptr;
                co_return;
            case BodyAdmission::too_large: error = http::error::body_limit; break;
            case BodyAdmission::large:
            case BodyAdmission::normal: break;
            }
            if (!error && parser.get()[http::field::expect] == "100-continue" && !parser.is_done()) {
                http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
                auto [continue_error, unused] = co_await http::async_write(stream, go_on, use_tuple);
                error = continue_error;
            }
            if (!error && !parser.is_done())
                std::tie(error, bytes) = co_await http::async_read(stream, buffer, parser, use_tuple);
        }
        if (error) {
            if (error == http::error::body_limit) {
                co_await http::async_write(
                    stream, plain_error(http::status::payload_too_large, "request body too large"), use_tuple);
            } else if (error == http::error::header_limit) {
                co_await http::async_write(
                    stream, plain_error(http::status::request_header_fields_too_large, "request headers too large"),
                    use_tuple);
            } else if (is_malformed(error)) {
                spdlog::debug("malformed request from {}: {}", remote, error.message());
                co_await http::async_write(
                    stream, plain_error(http::status::bad_request, "malformed HTTP request: " + error.message()),
                    use_tuple);
            }
            break;
        }
        auto& raw = parser.get();
        // HTTP/1.1 requires Host (RFC 9112 §3.2); without it the origin checks have nothing to go on.
        if (raw.version() >= 11 && raw.find(http::field::host) == raw.end()) {
            co_await http::async_write(stream, plain_error(http::status::bad_request, "missing Host header"),
                                       use_tuple);
            break;
        }
        if (beast::websocket::is_upgrade(raw)) {
            const std::string_view target(raw.target());
            auto path = decode_request_path(target.substr(0, target.find('?')));
            auto match = path ? state.websockets.match(*path) : std::nullopt;
            const auto origin = raw[http::field::origin];
            if (!match) {
                co_await http::async_write(stream, plain_error(http::status::not_found, "no WebSocket here"),
                                           use_tuple);
                break;
            }
            if (!state.origins.websocket_allowed(origin, raw[http::field::host])) {
                spdlog::warn("websocket from {} refused: origin {} not allowed", remote, std::string(origin));
                co_await http::async_write(stream, plain_error(http::status::forbidden, "origin not allowed"),
                                           use_tuple);
                break;
            }
            co_await run_websocket_session(state, std::move(stream), parser.release(), std::move(*match), connection);
            co_return;
        }
        Request request = to_request(raw, remote);
        Response answer;
        if (auto refused = prepare_request(request, std::string_view(raw.target()))) {
            answer = std::move(*refused);
        } else if (state.router.execution_of(request) == Execution::worker) {
            // On the worker pool; the session resumes on its strand when the answer is ready.
            answer = co_await asio::co_spawn(state.workers, respond_on_worker(&state, &request), asio::use_awaitable);
        } else {
            answer = respond(state, request);
        }
        const bool keep_alive = raw.keep_alive() && !state.stopping;
        if (answer.producer) {
            if (!co_await write_streamed(state, stream, std::move(answer), request.method, raw.version(), keep_alive))
                break;
            continue;
        }
        auto response = to_beast(std::move(answer), request.method, raw.version());
        response.keep_alive(keep_alive);
        auto [write_error, written] = co_await http::async_write(stream, response, use_tuple);
        if (write_error || !response.keep_alive()) break;
    }
    co_await close_stream(stream);
    connection->socket = nullptr;
}

}  // namespace

std::optional<Response> prepare_request(Request& request, std::string_view target) {
    const auto question = target.find('?');
    auto decoded = decode_request_path(target.substr(0, question));
    if (!decoded) return Response::error(400, "bad request path");
    request.path = std::move(*decoded);
    if (question != std::string_view::npos) {
        request.query_string = std::string(target.substr(question + 1));
        auto query = parse_query(request.query_string);
        if (!query) return Response::error(400, "bad %-escape in the query string");
        request.query = std::move(*query);
    }
    return std::nullopt;
}

Response respond(const ServerState& state, Request& request) {
    const bool api = is_api_path(request.path);
    const auto origin = request.header("origin");
    Response response;
    if (api && request.method == Method::options) {
        if (!state.origins.cors_allowed(origin)) return Response::error(403, "origin not allowed");
        response = Response::text(204, "");
        response.content_type.clear();
        response.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
        response.set_header("Access-Control-Allow-Headers",
                            "Authorization, Content-Type, If-Match, If-None-Match, Range");
        response.set_header("Access-Control-Max-Age", "600");
    } else if (api) {
        response = state.router.dispatch(request, state.verify);
        response.set_header("Cache-Control", "no-store");
    } else if (request.method == Method::get || request.method == Method::head) {
        auto asset = serve_static(request, state.assets);
        response = asset ? std::move(*asset) : Response::text(404, "not found\n");
    } else {
        response = Response::error(405, "method not allowed");
    }
    if (api && state.origins.cors_allowed(origin)) {
        response.set_header("Access-Control-Allow-Origin", std::string(origin));
        response.set_header(
            "Access-Control-Expose-Headers",
            "Retry-After, Content-Disposition, ETag, Content-Range, X-AILab-Read-Only, X-AILab-Output-Size");
        response.set_header("Vary", "Origin");
    }
    return response;
}

awaitable<void> run_http_session(ServerState& state, ip::tcp::socket socket, std::shared_ptr<Connection> connection) {
    if (!state.tls) {
        co_await serve_requests(state, PlainStream(std::move(socket)), connection);
        co_return;
    }
    TlsStream stream(PlainStream(std::move(socket)), state.ssl_context);
    connection->socket = &beast::get_lowest_layer(stream).socket();
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    auto [error] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (error) {
        spdlog::debug("tls handshake with {} failed: {}", connection->remote_address, error.message());
        connection->socket = nullptr;
        co_return;
    }
    co_await serve_requests(state, std::move(stream), connection);
}

}  // namespace ailab::net
