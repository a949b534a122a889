// Streamed answers (Response::stream) through a real in-process server on loopback: chunks arrive
// in order with chunked transfer encoding, the producer runs on the worker pool, a client that
// stops reading stalls the producer (memory stays bounded), a client that disconnects stops it and
// gets it destroyed, a producer that throws cuts the body, and an HTTP/1.0 client gets raw bytes.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "core/config.hpp"
#include "net/router.hpp"
#include "net/server.hpp"
#include "net/websocket_endpoint.hpp"

using namespace ailab;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::size_t chunk_bytes = 64 * 1024;

// What the producers saw, read by the tests.
struct StreamStats {
    std::atomic<std::size_t> produced{0};        // chunks handed out by the endless producer
    std::atomic<bool> destroyed{false};          // the endless producer's state was released
    std::atomic<bool> on_handler_thread{false};  // a producer call ran on the handler's thread
    std::thread::id handler_thread;
    std::thread::id io_route_thread;      // where an Execution::io_thread handler ran
    std::thread::id worker_route_thread;  // where an Execution::worker handler ran
};

// Sets `flag` when the last copy of the producer that holds it goes away.
struct DestroyFlag {
    explicit DestroyFlag(std::atomic<bool>& flag) : flag_(flag) {}
    ~DestroyFlag() { flag_ = true; }
    DestroyFlag(const DestroyFlag&) = delete;
    DestroyFlag& operator=(const DestroyFlag&) = delete;
    std::atomic<bool>& flag_;
};

class StreamServer {
public:
    StreamServer() {
        config_.host = "127.0.0.1";
        config_.port = 0;
        config_.threads = 1;  // one I/O thread: a call on it is a call on "the" I/O thread
        // 1000 numbered lines, one per chunk.
        router_.add(net::Method::get, "/api/v1/count", net::Access::public_route, [this](net::Request&) {
            stats.handler_thread = std::this_thread::get_id();
            // Before every 7th line an empty chunk, which must be skipped, not taken for the end.
            auto next = std::make_shared<int>(0);
            auto gave_empty = std::make_shared<bool>(false);
            return net::Response::stream("text/plain", [this, next, gave_empty]() -> std::optional<std::string> {
                if (std::this_thread::get_id() == stats.handler_thread) stats.on_handler_thread = true;
                if (*next == 1000) return std::nullopt;
                if (*next % 7 == 0 && !*gave_empty) {
                    *gave_empty = true;
                    return std::string();
                }
                *gave_empty = false;
                return std::to_string((*next)++) + "\n";
            });
        });
        router_.add(net::Method::get, "/api/v1/io", net::Access::public_route, [this](net::Request&) {
            stats.io_route_thread = std::this_thread::get_id();
            return net::Response::text(200, "io");
        });
        router_.add(
            net::Method::get, "/api/v1/worker", net::Access::public_route,
            [this](net::Request&) {
                stats.worker_route_thread = std::this_thread::get_id();
                return net::Response::text(200, "worker");
            },
            net::Execution::worker);
        // 64 KiB chunks without end.
        router_.add(net::Method::get, "/api/v1/endless", net::Access::public_route, [this](net::Request&) {
            auto flag = std::make_shared<DestroyFlag>(stats.destroyed);
            return net::Response::stream("application/octet-stream", [this, flag]() -> std::optional<std::string> {
                ++stats.produced;
                return std::string(chunk_bytes, 'x');
            });
        });
        // Three chunks, then a failure.
        router_.add(net::Method::get, "/api/v1/broken", net::Access::public_route, [](net::Request&) {
            auto calls = std::make_shared<int>(0);
            return net::Response::stream("text/plain", [calls]() -> std::optional<std::string> {
                if (++*calls > 3) throw std::runtime_error("the disk went away");
                return std::string("part\n");
            });
        });
        server_ = std::make_unique<net::Server>(
            config_, router_, registry_, [](std::string_view) -> std::optional<std::string> { return std::nullopt; },
            std::span<const net::EmbeddedAsset>{});
        std::promise<std::uint16_t> bound;
        thread_ = std::thread(
            [this, &bound] { server_->run([&](const net::ServerInfo& info) { bound.set_value(info.port); }); });
        port_ = bound.get_future().get();
    }
    ~StreamServer() {
        server_->stop();
        thread_.join();
    }
    std::uint16_t port() const { return port_; }
    StreamStats stats;

private:
    core::Config config_;
    net::Router router_;
    net::WebSocketRegistry registry_;
    std::unique_ptr<net::Server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

asio::ip::tcp::endpoint local(std::uint16_t port) { return {asio::ip::make_address("127.0.0.1"), port}; }

template <class Predicate>
bool wait_for(Predicate predicate, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (predicate()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return predicate();
}

}  // namespace

TEST(StreamResponse, ChunksArriveInOrderWithChunkedEncoding) {
    StreamServer server;
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(local(server.port()));
    // Two requests on one connection: the stream's end must leave the connection usable.
    for (int round = 0; round < 2; ++round) {
        http::request<http::empty_body> request{http::verb::get, "/api/v1/count", 11};
        request.set(http::field::host, "127.0.0.1");
        http::write(stream, request);
        beast::flat_buffer buffer;
        http::response<http::string_body> response;
        http::read(stream, buffer, response);
        EXPECT_EQ(response.result_int(), 200);
        EXPECT_TRUE(response.chunked());
        EXPECT_EQ(response[http::field::content_type], "text/plain");
        std::string expected;
        for (int i = 0; i < 1000; ++i) expected += std::to_string(i) + "\n";
        EXPECT_EQ(response.body(), expected);
        EXPECT_TRUE(response.keep_alive());
    }
    // The producer never ran on the I/O thread that ran the handler.
    EXPECT_FALSE(server.stats.on_handler_thread.load());
}

TEST(StreamResponse, ASlowClientStallsTheProducerAndADisconnectStopsIt) {
    // Bad input: a client that asks for an endless body, stops reading, then goes away.
    StreamServer server;
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.open(asio::ip::tcp::v4());
    socket.set_option(asio::socket_base::receive_buffer_size(64 * 1024));
    socket.connect(local(server.port()));
    const std::string request = "GET /api/v1/endless HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    std::vector<char> buffer(chunk_bytes);
    std::size_t read = 0;
    while (read < 4 * chunk_bytes) read += socket.read_some(asio::buffer(buffer));
    // Stop reading: the producer must stall once the socket buffers are full.
    ASSERT_TRUE(wait_for(
        [&] {
            const auto before = server.stats.produced.load();
            std::this_thread::sleep_for(200ms);
            return server.stats.produced.load() == before;
        },
        5s));
    const auto stalled_at = server.stats.produced.load();
    // What was produced beyond what the client read sits in kernel socket buffers, not in the
    // server: a few MiB at most, where an unbounded producer would have made gigabytes by now.
    EXPECT_LT(stalled_at * chunk_bytes - read, std::size_t{16} << 20);
    EXPECT_FALSE(server.stats.destroyed.load());
    socket.close();
    EXPECT_TRUE(wait_for([&] { return server.stats.destroyed.load(); }, 5s));
    const auto final_count = server.stats.produced.load();
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(server.stats.produced.load(), final_count);
}

TEST(StreamResponse, AProducerThatThrowsCutsTheBody) {
    // Bad input: the source fails after the header went out; the client must not take the body as
    // complete (no last chunk), and the server closes the connection.
    StreamServer server;
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(local(server.port()));
    http::request<http::empty_body> request{http::verb::get, "/api/v1/broken", 11};
    request.set(http::field::host, "127.0.0.1");
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    beast::error_code error;
    http::read(stream, buffer, parser, error);
    EXPECT_TRUE(error == http::error::partial_message || error == http::error::end_of_stream) << error.message();
    EXPECT_FALSE(parser.is_done());
    EXPECT_EQ(parser.get().body(), "part\npart\npart\n");
}

TEST(StreamResponse, AnHttp10ClientGetsRawBytesUntilTheConnectionCloses) {
    StreamServer server;
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect(local(server.port()));
    asio::write(socket, asio::buffer(std::string("GET /api/v1/count HTTP/1.0\r\n\r\n")));
    std::string all;
    beast::error_code error;
    asio::read(socket, asio::dynamic_buffer(all), error);
    EXPECT_EQ(error, asio::error::eof);
    const auto end_of_header = all.find("\r\n\r\n");
    ASSERT_NE(end_of_header, std::string::npos);
    EXPECT_EQ(all.substr(0, end_of_header).find("chunked"), std::string::npos);
    std::string expected;
    for (int i = 0; i < 1000; ++i) expected += std::to_string(i) + "\n";
    EXPECT_EQ(all.substr(end_of_header + 4), expected);
}

TEST(StreamResponse, WorkerRoutesRunOffTheIoThread) {
    // The hop to the worker pool must not come back to the I/O thread before the handler runs.
    StreamServer server;
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(local(server.port()));
    for (const char* target : {"/api/v1/io", "/api/v1/worker"}) {
        http::request<http::empty_body> request{http::verb::get, target, 11};
        request.set(http::field::host, "127.0.0.1");
        http::write(stream, request);
        beast::flat_buffer buffer;
        http::response<http::string_body> response;
        http::read(stream, buffer, response);
        EXPECT_EQ(response.result_int(), 200);
    }
    EXPECT_NE(server.stats.io_route_thread, std::thread::id());
    EXPECT_NE(server.stats.worker_route_thread, std::thread::id());
    EXPECT_NE(server.stats.io_route_thread, server.stats.worker_route_thread);
}
