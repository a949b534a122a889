#pragma once
// Private to src/client (it includes Beast): opening a TCP or TLS connection to a server with the
// policy's certificate check, and running one Asio operation to completion on a caller's
// io_context, so synchronous-looking code still gets beast::tcp_stream's timeouts.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <variant>

#include "client/server_access.hpp"
#include "core/error.hpp"

namespace ailab::client::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct OpenStream {
    // The TLS context outlives the stream that uses it (null for http).
    std::shared_ptr<asio::ssl::context> tls_context;
    std::variant<PlainStream, TlsStream> stream;
};

// Resolves, connects and (https) handshakes within `timeout`. Errors are sentences for the user:
// "cannot connect to URL: Connection refused", a certificate that fails verification (with how to
// pin it and the fingerprint it presents), a pinned fingerprint that does not match.
core::Result<OpenStream> open_stream(asio::io_context& io, const ServerAccess& access,
                                     std::chrono::milliseconds timeout);

inline PlainStream& lowest_layer(std::variant<PlainStream, TlsStream>& stream) {
    if (auto* plain = std::get_if<PlainStream>(&stream)) return *plain;
    return std::get<TlsStream>(stream).next_layer();
}

// Starts an asynchronous operation with `start(handler)` and runs `io` until its handler ran.
// Other handlers on the same io_context (a signal_set, a timer) run meanwhile. Answers the
// operation's error code.
template <class Start>
boost::system::error_code run_operation(asio::io_context& io, Start&& start) {
    bool done = false;
    boost::system::error_code result;
    start([&](boost::system::error_code error, auto&&...) {
        result = error;
        done = true;
    });
    io.restart();
    while (!done) {  // NOLINT(bugprone-infinite-loop): the handler run by run_one() sets done
        if (io.run_one() == 0) io.restart();
    }
    return result;
}

// "Connection refused", "timed out" and the like: an Asio/Beast error as a short phrase.
std::string describe(const boost::system::error_code& error);

}  // namespace ailab::client::transport
