// The WebSocket session through a real in-process server on loopback, with endpoints registered
// only for this test: first-message auth for every endpoint, binary frames both ways, a producer
// that pauses on backpressure (queued bytes) and resumes when the client drains, and the
// drop-slow-client policy closing a client that never reads.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <future>
#include <thread>

#include "core/config.hpp"
#include "net/router.hpp"
#include "net/server.hpp"
#include "net/websocket_endpoint.hpp"

using namespace ailab;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

// Echoes every message back with the same frame kind.
class EchoHandler : public net::WebSocketHandler {
public:
    explicit EchoHandler(std::shared_ptr<net::WebSocketPeer> peer) : peer_(std::move(peer)) {}
    void on_message(std::string_view data, net::FrameKind kind) override {
        peer_->send(std::make_shared<const std::string>(data), kind);
    }

private:
    std::shared_ptr<net::WebSocketPeer> peer_;
};

// On "go", produces 64 KiB binary chunks; pauses whenever 1 MiB is queued and resumes when the
// queue is down to 256 KiB, until `total` chunks went out. Records the most it ever saw queued.
struct ProducerStats {
    std::atomic<std::size_t> chunks{0};
    std::atomic<std::size_t> pauses{0};
    std::atomic<std::size_t> most_queued{0};
};

class ProducerHandler : public net::WebSocketHandler, public std::enable_shared_from_this<ProducerHandler> {
public:
    ProducerHandler(std::shared_ptr<net::WebSocketPeer> peer, ProducerStats& stats) : peer_(std::move(peer)), stats_(stats) {}
    void on_message(std::string_view, net::FrameKind) override { produce(); }

    static constexpr std::size_t total = 256;  // 16 MiB in all
    static constexpr std::size_t chunk_bytes = 64 * 1024;

private:
    void produce() {
        while (stats_.chunks < total) {
            const auto queued = peer_->queued_bytes();
            stats_.most_queued = std::max(stats_.most_queued.load(), queued);
            if (queued >= (std::size_t{1} << 20)) {
                ++stats_.pauses;
                std::weak_ptr<ProducerHandler> weak = shared_from_this();
                peer_->when_drained(256 * 1024, [weak] {
                    if (auto self = weak.lock()) self->produce();
                });
                return;
            }
            peer_->send(std::make_shared<const std::string>(chunk_bytes, static_cast<char>('a' + stats_.chunks % 26)),
                        net::FrameKind::binary);
            ++stats_.chunks;
        }
    }
    std::shared_ptr<net::WebSocketPeer> peer_;
    ProducerStats& stats_;
};

class InProcessServer {
public:
    InProcessServer() {
        config_.host = "127.0.0.1";
        config_.port = 0;
        config_.threads = 2;
        registry_.add({"/echo", net::SlowClientPolicy::drop, {}, [](net::WebSocketOpen& open) {
                           return std::make_shared<EchoHandler>(open.peer);
                       }});
        registry_.add({"/produce/{name}", net::SlowClientPolicy::backpressure, {}, [this](net::WebSocketOpen& open) {
                           EXPECT_EQ(open.params.at("name"), "p1");
                           EXPECT_EQ(open.user, "alice");
                           return std::make_shared<ProducerHandler>(open.peer, stats);
                       }});
        net::WebSocketLimits tiny;
        tiny.max_queued_bytes = 256 * 1024;
        registry_.add({"/flood", net::SlowClientPolicy::drop, tiny, [](net::WebSocketOpen& open) {
                           for (int i = 0; i < 64; ++i)
                               open.peer->send(std::make_shared<const std::string>(64 * 1024, 'f'), net::FrameKind::binary);
                           return std::make_shared<EchoHandler>(open.peer);
                       }});
        server_ = std::make_unique<net::Server>(
            config_, router_, registry_,
            [](std::string_view token) -> std::optional<std::string> {
                if (token == "good") return std::string("alice");
                return std::nullopt;
            },
            std::span<const net::EmbeddedAsset>{});
        std::promise<std::uint16_t> bound;
        thread_ = std::thread([this, &bound] { server_->run([&](const net::ServerInfo& info) { bound.set_value(info.port); }); });
        port_ = bound.get_future().get();
    }
    ~InProcessServer() {
        server_->stop();
        thread_.join();
    }
    std::uint16_t port() const { return port_; }
    ProducerStats stats;

private:
    core::Config config_;
    net::Router router_;
    net::WebSocketRegistry registry_;
    std::unique_ptr<net::Server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

struct Client {
    asio::io_context io;
    websocket::stream<beast::tcp_stream> ws{io};

    void connect(std::uint16_t port, const std::string& path) {
        beast::get_lowest_layer(ws).connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        ws.handshake("127.0.0.1:" + std::to_string(port), path);
    }
    std::string read() {
        beast::flat_buffer buffer;
        ws.read(buffer);
        return beast::buffers_to_string(buffer.data());
    }
    void authenticate(const std::string& token) {
        ws.text(true);
        ws.write(asio::buffer(R"({"type":"auth","token":")" + token + "\"}"));
    }
};

}  // namespace

TEST(WebSocketSession, EveryEndpointAuthenticatesFirst) {
    InProcessServer server;
    Client client;
    client.connect(server.port(), "/echo");
    client.authenticate("bad");
    beast::flat_buffer buffer;
    beast::error_code error;
    client.ws.read(buffer, error);
    EXPECT_EQ(error, websocket::error::closed);
    EXPECT_EQ(client.ws.reason().code, 4401);
}

TEST(WebSocketSession, BinaryFramesRoundTrip) {
    InProcessServer server;
    Client client;
    client.connect(server.port(), "/echo");
    client.authenticate("good");
    EXPECT_NE(client.read().find("auth.ok"), std::string::npos);
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    client.ws.binary(true);
    client.ws.write(asio::buffer(bytes));
    EXPECT_EQ(client.read(), bytes);
    EXPECT_TRUE(client.ws.got_binary());
    client.ws.text(true);
    client.ws.write(asio::buffer(std::string("hello")));
    EXPECT_EQ(client.read(), "hello");
    EXPECT_TRUE(client.ws.got_text());
}

TEST(WebSocketSession, ProducerPausesOnBackpressureAndLosesNothing) {
    InProcessServer server;
    Client client;
    client.connect(server.port(), "/produce/p1");
    client.authenticate("good");
    EXPECT_NE(client.read().find("auth.ok"), std::string::npos);
    client.ws.text(true);
    client.ws.write(asio::buffer(std::string("go")));
    std::this_thread::sleep_for(300ms);  // the client does not read: the producer must pause
    EXPECT_GT(server.stats.pauses.load(), 0u);
    EXPECT_LT(server.stats.chunks.load(), ProducerHandler::total);
    // Now read everything: every chunk arrives, in order, and nothing was dropped.
    for (std::size_t i = 0; i < ProducerHandler::total; ++i) {
        const auto chunk = client.read();
        ASSERT_EQ(chunk.size(), ProducerHandler::chunk_bytes);
        ASSERT_EQ(chunk.front(), static_cast<char>('a' + i % 26)) << i;
    }
    EXPECT_EQ(server.stats.chunks.load(), ProducerHandler::total);
    // Queued bytes never ran far past the producer's own mark (1 MiB + one chunk).
    EXPECT_LE(server.stats.most_queued.load(), (std::size_t{1} << 20) + ProducerHandler::chunk_bytes);
}

TEST(WebSocketSession, DropPolicyClosesAClientPastItsByteLimit) {
    InProcessServer server;
    Client client;
    client.connect(server.port(), "/flood");
    client.authenticate("good");
    // 4 MiB were queued against a 256 KiB limit: the session is dropped, not grown.
    beast::error_code error;
    std::size_t received = 0;
    for (;;) {
        beast::flat_buffer buffer;
        client.ws.read(buffer, error);
        if (error) break;
        received += buffer.size();
    }
    EXPECT_LT(received, std::size_t{4} << 20);
}
