#include "net/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/version.hpp"
#include "net/static_files.hpp"
#include "net/tls.hpp"

namespace ailab::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_body_bytes = 16u << 20;
constexpr std::size_t max_queued_messages = 2048;
constexpr auto idle_timeout = std::chrono::seconds(60);
constexpr auto auth_timeout = std::chrono::seconds(10);

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// A handle the shutdown path uses to close a session's socket. Only touched on the session's
// strand: the session sets `socket` while it runs and clears it before it ends.
struct Connection {
    asio::any_io_executor executor;
    tcp::socket* socket = nullptr;
};

void close_socket(tcp::socket& socket) {
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

// Logs whatever escaped a detached coroutine instead of losing it.
void log_exception(std::exception_ptr error) {
    if (!error) return;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::error("session ended by an exception: {}", e.what());
    } catch (...) {
        spdlog::error("session ended by an unknown exception");
    }
}

}  // namespace

struct Server::Impl {
    Impl(const core::Config& config, const Router& router, Hub& hub, Auth& auth, std::span<const EmbeddedAsset> assets)
        : config_(config),
          router_(router),
          hub_(hub),
          auth_(auth),
          assets_(assets),
          io_(std::max(1, config.threads)),
          acceptor_(io_),
          ssl_context_(ssl::context::tls_server) {}

    const core::Config& config_;
    const Router& router_;
    Hub& hub_;
    Auth& auth_;
    std::span<const EmbeddedAsset> assets_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    ssl::context ssl_context_;
    bool tls_ = false;
    std::atomic<bool> stopping_{false};

    std::mutex connections_mutex_;  // guards connections_
    std::vector<std::weak_ptr<Connection>> connections_;

    std::shared_ptr<Connection> track(asio::any_io_executor executor) {
        auto connection = std::make_shared<Connection>();
        connection->executor = std::move(executor);
        std::lock_guard lock(connections_mutex_);
        std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
        connections_.push_back(connection);
        return connection;
    }

    std::size_t live_connections() {
        std::lock_guard lock(connections_mutex_);
        std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
        return connections_.size();
    }

    asio::steady_timer shutdown_timer_{io_};
    std::chrono::steady_clock::time_point shutdown_started_{};

    void shutdown();
    void wait_for_drain();
    awaitable<void> accept_loop();
    template <class Stream>
    awaitable<void> http_session(Stream stream, std::shared_ptr<Connection> connection, std::string remote);
    http::response<http::string_body> handle(http::request<http::string_body>& request, const std::string& remote);
    bool origin_allowed(std::string_view origin, std::string_view host) const;
    bool cors_allowed(std::string_view origin) const;
};

// --- WebSocket session ---------------------------------------------------------------------

template <class Stream>
class WebSocketSession : public HubClient, public std::enable_shared_from_this<WebSocketSession<Stream>> {
public:
    WebSocketSession(Stream&& stream, Server::Impl& server, std::shared_ptr<Connection> connection)
        : ws_(std::move(stream)),
          server_(server),
          connection_(std::move(connection)),
          auth_timer_(ws_.get_executor()) {}

    // Runs the session to its end. `self` keeps it alive; the hub holds weak references only.
    static awaitable<void> run(std::shared_ptr<WebSocketSession> self, http::request<http::string_body> request) {
        auto& ws = self->ws_;
        self->connection_->socket = &beast::get_lowest_layer(ws).socket();
        beast::get_lowest_layer(ws).expires_never();
        websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
        timeouts.idle_timeout = idle_timeout;
        timeouts.keep_alive_pings = true;
        ws.set_option(timeouts);
        ws.read_message_max(64 * 1024);
        ws.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
            response.set(http::field::server, std::string("ailab/") + ailab::version);
        }));
        auto [accept_error] = co_await ws.async_accept(request, use_tuple);
        if (!accept_error) co_await self->serve();
        self->closed_ = true;
        self->server_.hub_.unsubscribe_all(self.get());
        self->connection_->socket = nullptr;
    }

    void deliver(SharedMessage message) override {
        asio::post(ws_.get_executor(), [self = this->shared_from_this(), message = std::move(message)]() mutable {
            self->enqueue(std::move(message));
        });
    }

private:
    awaitable<void> serve() {
        std::weak_ptr<WebSocketSession> weak = this->shared_from_this();
        auth_timer_.expires_after(auth_timeout);
        auth_timer_.async_wait([weak](boost::system::error_code error) {
            auto self = weak.lock();
            if (error || !self || self->authenticated_) return;
            spdlog::info("websocket: no auth message within {} s; closing", auth_timeout.count());
            beast::get_lowest_layer(self->ws_).close();
        });

        beast::flat_buffer buffer;
        auto [read_error, bytes] = co_await ws_.async_read(buffer, use_tuple);
        if (read_error) co_return;
        std::string reason;
        if (auto user = authenticate(beast::buffers_to_string(buffer.data()), reason)) {
            authenticated_ = true;
            auth_timer_.cancel();
            user_ = *user;
            enqueue(std::make_shared<const std::string>(
                boost::json::serialize(boost::json::object{{"type", "auth.ok"}, {"user", user_}})));
        } else {
            auth_timer_.cancel();
            spdlog::info("websocket: authentication refused: {}", reason);
            co_await ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(4401), reason),
                                     use_tuple);
            co_return;
        }

        for (;;) {
            buffer.clear();
            auto [error, size] = co_await ws_.async_read(buffer, use_tuple);
            if (error) co_return;
            handle_message(beast::buffers_to_string(buffer.data()));
        }
    }

    std::optional<std::string> authenticate(const std::string& text, std::string& reason) {
        boost::system::error_code error;
        auto value = boost::json::parse(text, error);
        if (error || !value.is_object()) {
            reason = "first message must be {\"type\":\"auth\",\"token\":...}";
            return std::nullopt;
        }
        const auto& object = value.as_object();
        const auto* type = object.if_contains("type");
        const auto* token = object.if_contains("token");
        if (!type || !type->is_string() || type->as_string() != "auth" || !token || !token->is_string()) {
            reason = "first message must be {\"type\":\"auth\",\"token\":...}";
            return std::nullopt;
        }
        auto user = server_.auth_.verify(std::string_view(token->as_string()));
        if (!user) reason = "invalid or expired token";
        return user;
    }

    void handle_message(const std::string& text) {
        boost::system::error_code error;
        auto value = boost::json::parse(text, error);
        const boost::json::object* object = (!error && value.is_object()) ? &value.as_object() : nullptr;
        const auto* type = object ? object->if_contains("type") : nullptr;
        if (!type || !type->is_string()) {
            send_error("messages must be JSON objects with a \"type\"");
            return;
        }
        auto kind = type->as_string();
        if (kind == "ping") {
            enqueue(std::make_shared<const std::string>(R"({"type":"pong"})"));
        } else if (kind == "subscribe" || kind == "unsubscribe") {
            const auto* topics = object->if_contains("topics");
            if (!topics || !topics->is_array()) {
                send_error("\"topics\" must be a list of topic names");
                return;
            }
            boost::json::array done;
            for (const auto& topic : topics->as_array()) {
                if (!topic.is_string() || topic.as_string().empty() || topic.as_string().size() > 64) continue;
                std::string name(topic.as_string());
                if (kind == "subscribe") {
                    server_.hub_.subscribe(this->shared_from_this(), name);
                    subscribed_.insert(name);
                } else {
                    server_.hub_.unsubscribe(this, name);
                    subscribed_.erase(name);
                }
                done.emplace_back(name);
            }
            boost::json::array current;
            for (const auto& name : subscribed_) current.emplace_back(name);
            enqueue(std::make_shared<const std::string>(
                boost::json::serialize(boost::json::object{{"type", "subscribed"}, {"topics", std::move(current)}})));
        } else {
            send_error("unknown message type \"" + std::string(kind) + "\"");
        }
    }

    void send_error(const std::string& message) {
        enqueue(std::make_shared<const std::string>(
            boost::json::serialize(boost::json::object{{"type", "error"}, {"error", message}})));
    }

    // On the strand. One write in flight; a client that falls too far behind is dropped.
    void enqueue(SharedMessage message) {
        if (closed_) return;
        if (queue_.size() >= max_queued_messages) {
            spdlog::warn("websocket: client of user \"{}\" fell {} messages behind; closing", user_, queue_.size());
            closed_ = true;
            queue_.clear();
            beast::get_lowest_layer(ws_).close();
            return;
        }
        queue_.push_back(std::move(message));
        if (!writing_) {
            writing_ = true;
            asio::co_spawn(ws_.get_executor(), write_loop(this->shared_from_this()), log_exception);
        }
    }

    static awaitable<void> write_loop(std::shared_ptr<WebSocketSession> self) {
        while (!self->queue_.empty() && !self->closed_) {
            SharedMessage message = self->queue_.front();
            self->ws_.text(true);
            auto [error, size] = co_await self->ws_.async_write(asio::buffer(*message), use_tuple);
            if (error) {
                self->closed_ = true;
                self->queue_.clear();
                break;
            }
            self->queue_.pop_front();
        }
        self->writing_ = false;
    }

    websocket::stream<Stream> ws_;
    Server::Impl& server_;
    std::shared_ptr<Connection> connection_;
    asio::steady_timer auth_timer_;
    // Everything below is touched on the session's strand only.
    std::deque<SharedMessage> queue_;
    bool writing_ = false;
    bool closed_ = false;
    bool authenticated_ = false;
    std::string user_;
    std::set<std::string> subscribed_;
};

// --- HTTP ----------------------------------------------------------------------------------

bool Server::Impl::cors_allowed(std::string_view origin) const {
    if (origin.empty()) return false;
    auto normal = core::normalise_origin(origin);
    return !normal.empty() && std::find(config_.allowed_origins.begin(), config_.allowed_origins.end(), normal) !=
                                  config_.allowed_origins.end();
}

bool Server::Impl::origin_allowed(std::string_view origin, std::string_view host) const {
    if (origin.empty()) return true;  // not a browser: the auth message still decides
    auto normal = core::normalise_origin(origin);
    if (normal.empty()) return false;
    std::string own = core::normalise_origin(std::string(tls_ ? "https://" : "http://") + std::string(host));
    return normal == own || cors_allowed(origin);
}

http::response<http::string_body> Server::Impl::handle(http::request<http::string_body>& raw,
                                                       const std::string& remote) {
    Request request;
    request.method = parse_method(std::string_view(raw.method_string()));
    request.remote_address = remote;
    std::string_view target(raw.target());
    auto question = target.find('?');
    auto decoded = percent_decode(target.substr(0, question), DecodeMode::path);
    Response response;
    bool bad_path = !decoded || decoded->empty() || decoded->front() != '/';
    if (!bad_path) {
        for (const auto& segment : split_path(*decoded)) bad_path = bad_path || segment == ".." || segment == ".";
    }
    if (bad_path) {
        response = Response::error(400, "bad request path");
    } else {
        request.path = std::move(*decoded);
        if (question != std::string_view::npos) {
            request.query_string = std::string(target.substr(question + 1));
            request.query = parse_query(request.query_string);
        }
        request.headers.reserve(16);
        for (const auto& field : raw) {
            std::string name(field.name_string());
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            request.headers.emplace_back(std::move(name), std::string(field.value()));
        }
        request.body = std::move(raw.body());
        bool api = request.path.rfind("/api/", 0) == 0 || request.path == "/metrics";
        auto origin = request.header("origin");
        if (api && request.method == Method::options) {
            response = cors_allowed(origin) ? Response::text(204, "") : Response::error(403, "origin not allowed");
            if (response.status == 204) {
                response.content_type.clear();
                response.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS");
                response.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
                response.set_header("Access-Control-Max-Age", "600");
            }
        } else if (api) {
            response = router_.dispatch(request, [this](std::string_view token) { return auth_.verify(token); });
            response.set_header("Cache-Control", "no-store");
        } else if (request.method == Method::get || request.method == Method::head) {
            auto asset = serve_static(request, assets_);
            response = asset ? std::move(*asset) : Response::text(404, "not found\n");
        } else {
            response = Response::error(405, "method not allowed");
        }
        if (api && cors_allowed(origin)) {
            response.set_header("Access-Control-Allow-Origin", std::string(origin));
            response.set_header("Access-Control-Expose-Headers", "Retry-After, Content-Disposition");
            response.set_header("Vary", "Origin");
        }
    }

    http::response<http::string_body> out{static_cast<http::status>(response.status), raw.version()};
    out.set(http::field::server, std::string("ailab/") + ailab::version);
    if (!response.content_type.empty()) out.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) out.set(name, value);
    if (response.status >= 400 || response.status < 200) out.set("X-Content-Type-Options", "nosniff");
    auto size = response.body.size();
    if (request.method != Method::head) out.body() = std::move(response.body);
    if (response.status != 204 && response.status != 304) out.content_length(size);
    return out;
}

template <class Stream>
awaitable<void> Server::Impl::http_session(Stream stream, std::shared_ptr<Connection> connection, std::string remote) {
    constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;
    connection->socket = &beast::get_lowest_layer(stream).socket();
    if constexpr (is_tls) {
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
        auto [error] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
        if (error) {
            spdlog::debug("tls handshake with {} failed: {}", remote, error.message());
            connection->socket = nullptr;
            co_return;
        }
    }
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;  // a fresh parser per request
        parser.body_limit(max_body_bytes);
        parser.header_limit(32 * 1024);
        beast::get_lowest_layer(stream).expires_after(idle_timeout);
        auto [error, bytes] = co_await http::async_read(stream, buffer, parser, use_tuple);
        if (error) {
            if (error == http::error::body_limit) {
                auto response = Response::error(413, "request body too large");
                http::response<http::string_body> out{http::status::payload_too_large, 11};
                out.set(http::field::content_type, "application/json");
                out.body() = response.body;
                out.prepare_payload();
                out.keep_alive(false);
                co_await http::async_write(stream, out, use_tuple);
            }
            break;
        }
        auto& request = parser.get();
        if (websocket::is_upgrade(request)) {
            auto host = request[http::field::host];
            auto origin = request[http::field::origin];
            if (request.target() != "/api/v1/ws" || !origin_allowed(origin, host)) {
                bool wrong_path = request.target() != "/api/v1/ws";
                http::response<http::string_body> out{wrong_path ? http::status::not_found : http::status::forbidden,
                                                      request.version()};
                out.set(http::field::content_type, "application/json");
                out.body() =
                    Response::error(wrong_path ? 404 : 403, wrong_path ? "no WebSocket here" : "origin not allowed")
                        .body;
                out.prepare_payload();
                out.keep_alive(false);
                if (!wrong_path)
                    spdlog::warn("websocket from {} refused: origin {} not allowed", remote, std::string(origin));
                co_await http::async_write(stream, out, use_tuple);
                break;
            }
            auto session = std::make_shared<WebSocketSession<Stream>>(std::move(stream), *this, connection);
            co_await WebSocketSession<Stream>::run(session, parser.release());
            co_return;
        }
        auto response = handle(request, remote);
        response.keep_alive(request.keep_alive() && !stopping_);
        auto [write_error, written] = co_await http::async_write(stream, response, use_tuple);
        if (write_error || !response.keep_alive()) break;
    }
    if constexpr (is_tls) {
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
        co_await stream.async_shutdown(use_tuple);
    } else {
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    connection->socket = nullptr;
}

awaitable<void> Server::Impl::accept_loop() {
    for (;;) {
        auto strand = asio::make_strand(io_);
        auto [error, socket] = co_await acceptor_.async_accept(strand, use_tuple);
        if (error) {
            if (error == asio::error::operation_aborted || stopping_) co_return;
            spdlog::warn("accept failed: {}", error.message());
            continue;
        }
        boost::system::error_code endpoint_error;
        auto endpoint = socket.remote_endpoint(endpoint_error);
        std::string remote = endpoint_error ? "unknown" : endpoint.address().to_string();
        socket.set_option(tcp::no_delay(true), endpoint_error);
        auto connection = track(socket.get_executor());
        if (tls_) {
            asio::co_spawn(strand,
                           http_session(TlsStream(PlainStream(std::move(socket)), ssl_context_), connection, remote),
                           log_exception);
        } else {
            asio::co_spawn(strand, http_session(PlainStream(std::move(socket)), connection, remote), log_exception);
        }
    }
}

void Server::Impl::shutdown() {
    if (stopping_.exchange(true)) return;
    spdlog::info("shutting down: closing the listener and {} connection(s)", live_connections());
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    std::vector<std::shared_ptr<Connection>> live;
    {
        std::lock_guard lock(connections_mutex_);
        for (auto& weak : connections_)
            if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
    for (auto& connection : live) {
        asio::post(connection->executor, [connection] {
            if (connection->socket) close_socket(*connection->socket);
        });
    }
    // Backstop: whatever has not ended within 2 s is abandoned with the io_context.
    shutdown_started_ = std::chrono::steady_clock::now();
    wait_for_drain();
}

void Server::Impl::wait_for_drain() {
    if (live_connections() == 0 || std::chrono::steady_clock::now() - shutdown_started_ > std::chrono::seconds(2)) {
        io_.stop();
        return;
    }
    shutdown_timer_.expires_after(std::chrono::milliseconds(20));
    shutdown_timer_.async_wait([this](boost::system::error_code) { wait_for_drain(); });
}

Server::Server(const core::Config& config, const Router& router, Hub& hub, Auth& auth,
               std::span<const EmbeddedAsset> assets)
    : impl_(std::make_unique<Impl>(config, router, hub, auth, assets)) {}

Server::~Server() = default;

void Server::stop() {
    asio::post(impl_->io_, [impl = impl_.get()] { impl->shutdown(); });
}

void Server::run(const std::function<void(const ServerInfo&)>& on_listening) {
    auto& impl = *impl_;
    const auto& config = impl.config_;
    ServerInfo info;
    if (config.tls.mode != core::TlsMode::off) {
        auto material = prepare_tls(config);
        impl.ssl_context_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                                      ssl::context::single_dh_use);
        impl.ssl_context_.use_certificate_chain_file(material.cert_file.string());
        impl.ssl_context_.use_private_key_file(material.key_file.string(), ssl::context::pem);
        impl.tls_ = true;
        info.tls_fingerprint = material.fingerprint_sha256;
        if (material.generated) spdlog::info("generated a self-signed certificate in {}", material.cert_file.string());
    }

    tcp::endpoint endpoint;
    if (config.host == "*") {
        boost::system::error_code error;
        tcp::acceptor probe(impl.io_);
        probe.open(tcp::v6(), error);
        endpoint = error ? tcp::endpoint(tcp::v4(), config.port) : tcp::endpoint(tcp::v6(), config.port);
    } else {
        tcp::resolver resolver(impl.io_);
        auto results = resolver.resolve(config.host, std::to_string(config.port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service);
        if (results.empty()) throw std::runtime_error("cannot resolve host " + config.host);
        endpoint = results.begin()->endpoint();
    }
    impl.acceptor_.open(endpoint.protocol());
    if (endpoint.address().is_v6() && config.host == "*") impl.acceptor_.set_option(asio::ip::v6_only(false));
    impl.acceptor_.set_option(asio::socket_base::reuse_address(true));
    boost::system::error_code bind_error;
    impl.acceptor_.bind(endpoint, bind_error);
    if (bind_error)
        throw std::runtime_error("cannot listen on " + config.host + ":" + std::to_string(config.port) + ": " +
                                 bind_error.message());
    impl.acceptor_.listen(asio::socket_base::max_listen_connections);
    info.port = impl.acceptor_.local_endpoint().port();
    std::string shown_host = config.host == "*" ? "127.0.0.1" : config.host;
    if (shown_host.find(':') != std::string::npos) shown_host = "[" + shown_host + "]";
    info.url = std::string(impl.tls_ ? "https://" : "http://") + shown_host + ":" + std::to_string(info.port);

    asio::signal_set signals(impl.io_, SIGINT, SIGTERM);
    signals.async_wait([&impl](boost::system::error_code error, int signal) {
        if (!error) spdlog::info("received signal {}", signal);
        if (!error) impl.shutdown();
    });
    asio::co_spawn(impl.io_, impl.accept_loop(), log_exception);
    on_listening(info);

    std::vector<std::thread> threads;
    for (int i = 1; i < config.threads; ++i) threads.emplace_back([&impl] { impl.io_.run(); });
    impl.io_.run();
    for (auto& thread : threads) thread.join();
    signals.cancel();
}

}  // namespace ailab::net
