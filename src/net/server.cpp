#include "net/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>
#include <vector>

#include "net/listener.hpp"
#include "net/server_state.hpp"
#include "net/tls.hpp"

namespace ailab::net {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace ip = asio::ip;

struct Server::Parts {
    explicit Parts(asio::io_context& io) : acceptor(io), shutdown_timer(io) {}
    ip::tcp::acceptor acceptor;
    asio::steady_timer shutdown_timer;
    std::chrono::steady_clock::time_point shutdown_started{};
};

Server::Server(const core::Config& config, const Router& router, const WebSocketRegistry& websockets,
               TokenVerifier verify, std::span<const EmbeddedAsset> assets)
    : state_(std::make_unique<ServerState>(config, router, websockets, std::move(verify), assets)),
      parts_(std::make_unique<Parts>(state_->io)) {}

Server::~Server() = default;

void Server::stop() {
    asio::post(state_->io, [this] { shutdown(); });
}

void Server::shutdown() {
    if (state_->stopping.exchange(true)) return;
    auto live = state_->connections.live();
    spdlog::info("shutting down: closing the listener and {} connection(s)", live.size());
    boost::system::error_code ignored;
    parts_->acceptor.close(ignored);
    for (auto& connection : live) {
        asio::post(connection->executor, [connection] {
            if (!connection->socket) return;
            boost::system::error_code ignored_error;
            connection->socket->shutdown(ip::tcp::socket::shutdown_both, ignored_error);
            connection->socket->close(ignored_error);
        });
    }
    // Backstop: whatever has not ended within 2 s is abandoned with the io_context.
    parts_->shutdown_started = std::chrono::steady_clock::now();
    wait_for_drain();
}

void Server::wait_for_drain() {
    if (state_->connections.size() == 0 ||
        std::chrono::steady_clock::now() - parts_->shutdown_started > std::chrono::seconds(2)) {
        state_->io.stop();
        return;
    }
    parts_->shutdown_timer.expires_after(std::chrono::milliseconds(20));
    parts_->shutdown_timer.async_wait([this](boost::system::error_code) { wait_for_drain(); });
}

namespace {

ip::tcp::endpoint listen_endpoint(asio::io_context& io, const core::Config& config) {
    if (config.host == "*") {
        boost::system::error_code error;
        ip::tcp::acceptor probe(io);
        probe.open(ip::tcp::v6(), error);
        return error ? ip::tcp::endpoint(ip::tcp::v4(), config.port) : ip::tcp::endpoint(ip::tcp::v6(), config.port);
    }
    ip::tcp::resolver resolver(io);
    auto results = resolver.resolve(config.host, std::to_string(config.port),
                                    ip::tcp::resolver::passive | ip::tcp::resolver::numeric_service);
    if (results.empty()) throw std::runtime_error("cannot resolve host " + config.host);
    return results.begin()->endpoint();
}

}  // namespace

void Server::run(const std::function<void(const ServerInfo&)>& on_listening) {
    auto& state = *state_;
    const auto& config = state.config;
    ServerInfo info;
    const auto file_limit = raise_file_limit();
    spdlog::debug("open file limit: {}", file_limit);
    if (config.tls.mode != core::TlsMode::off) {
        auto material = prepare_tls(config);
        state.ssl_context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                                      ssl::context::single_dh_use);
        state.ssl_context.use_certificate_chain_file(material.cert_file.string());
        state.ssl_context.use_private_key_file(material.key_file.string(), ssl::context::pem);
        state.tls = true;
        state.origins = OriginPolicy(config.allowed_origins, Scheme::https);
        info.tls_fingerprint = material.fingerprint_sha256;
        if (material.generated) spdlog::info("generated a self-signed certificate in {}", material.cert_file.string());
    }

    auto& acceptor = parts_->acceptor;
    const auto endpoint = listen_endpoint(state.io, config);
    acceptor.open(endpoint.protocol());
    if (endpoint.address().is_v6() && config.host == "*") acceptor.set_option(asio::ip::v6_only(false));
    acceptor.set_option(asio::socket_base::reuse_address(true));
    boost::system::error_code bind_error;
    acceptor.bind(endpoint, bind_error);
    if (bind_error)
        throw std::runtime_error("cannot listen on " + config.host + ":" + std::to_string(config.port) + ": " +
                                 bind_error.message());
    acceptor.listen(asio::socket_base::max_listen_connections);
    info.port = acceptor.local_endpoint().port();
    std::string shown_host = config.host == "*" ? "127.0.0.1" : config.host;
    if (shown_host.find(':') != std::string::npos) shown_host = "[" + shown_host + "]";
    info.url = std::string(state.tls ? "https://" : "http://") + shown_host + ":" + std::to_string(info.port);

    asio::signal_set signals(state.io, SIGINT, SIGTERM);
    signals.async_wait([this](boost::system::error_code error, int signal) {
        if (error) return;
        spdlog::info("received signal {}", signal);
        shutdown();
    });
    asio::co_spawn(state.io, accept_loop(state, acceptor), log_exception);
    on_listening(info);

    std::vector<std::thread> threads;
    for (int i = 1; i < config.threads; ++i) threads.emplace_back([&state] { state.io.run(); });
    state.io.run();
    for (auto& thread : threads) thread.join();
    signals.cancel();
    state.workers.join();
}

}  // namespace ailab::net
