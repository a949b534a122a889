#include "net/websocket_session.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <deque>

#include "core/version.hpp"

namespace ailab::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::awaitable;

namespace {

std::string auth_error_text() { return "first message must be {\"type\":\"auth\",\"token\":...}"; }

// A close reason must fit in a control frame (123 bytes).
websocket::close_reason reason_of(CloseCode code, std::string text) {
    if (text.size() > 120) text.resize(120);
    return websocket::close_reason(static_cast<websocket::close_code>(code), text);
}

template <class Stream>
class WebSocketSession final : public WebSocketPeer, public std::enable_shared_from_this<WebSocketSession<Stream>> {
public:
    WebSocketSession(ServerState& state, Stream&& stream, WebSocketRegistry::Match match,
                     std::shared_ptr<Connection> connection)
        : state_(state),
          ws_(std::move(stream)),
          endpoint_(*match.endpoint),
          params_(std::move(match.params)),
          connection_(std::move(connection)),
          auth_timer_(ws_.get_executor()) {}

    static awaitable<void> run(std::shared_ptr<WebSocketSession> self, http::request<http::string_body> request) {
        auto& ws = self->ws_;
        self->connection_->socket = &beast::get_lowest_layer(ws).socket();
        beast::get_lowest_layer(ws).expires_never();
        auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
        timeouts.idle_timeout = idle_timeout;
        timeouts.keep_alive_pings = true;
        ws.set_option(timeouts);
        ws.read_message_max(self->endpoint_.limits.max_message_bytes);
        // One frame per message: Beast would cut every message into 4 KiB frames by default, which
        // costs a header and a write per 4 KiB on streams such as job output.
        ws.auto_fragment(false);
        ws.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
            response.set(http::field::server, std::string("ailab/") + ailab::version);
        }));
        auto [accept_error] = co_await ws.async_accept(request, use_tuple);
        if (!accept_error) co_await self->serve();
        self->finish();
    }

    // --- WebSocketPeer: thread-safe, everything is posted onto the strand ------------------
    // Counts the bytes at once (not when the strand gets to them), so that a producer sending in a
    // loop sees its own backlog in queued_bytes().
    void send(SharedMessage message, FrameKind kind) override {
        if (!open_flag_.load(std::memory_order_relaxed)) return;
        queued_bytes_ += message->size();
        asio::post(ws_.get_executor(), [self = this->shared_from_this(), message = std::move(message), kind]() mutable {
            self->enqueue(std::move(message), kind);
        });
    }
    std::size_t queued_bytes() const override { return queued_bytes_.load(std::memory_order_relaxed); }
    void when_drained(std::size_t low_water_bytes, std::function<void()> resume) override {
        asio::post(ws_.get_executor(),
                   [self = this->shared_from_this(), low_water_bytes, resume = std::move(resume)]() mutable {
                       if (self->closed_) return;
                       if (self->queued_bytes_ <= low_water_bytes) {
                           resume();
                           return;
                       }
                       self->drain_low_water_ = low_water_bytes;
                       self->drain_waiter_ = std::move(resume);
                   });
    }
    void close(CloseCode code, std::string reason) override {
        asio::post(ws_.get_executor(), [self = this->shared_from_this(), code, reason = std::move(reason)]() mutable {
            self->close_gracefully(code, std::move(reason));
        });
    }
    bool is_open() const override { return open_flag_.load(std::memory_order_relaxed); }

private:
    awaitable<void> serve() {
        std::weak_ptr<WebSocketSession> weak = this->shared_from_this();
        auth_timer_.expires_after(auth_timeout);
        auth_timer_.async_wait([weak](boost::system::error_code error) {
            auto self = weak.lock();
            if (error || !self || !self->user_.empty()) return;
            spdlog::info("websocket: no auth message within {} s; closing", auth_timeout.count());
            beast::get_lowest_layer(self->ws_).close();
        });

        beast::flat_buffer buffer;
        auto [read_error, bytes] = co_await ws_.async_read(buffer, use_tuple);
        auth_timer_.cancel();
        if (read_error) co_return;
        std::string reason;
        auto user = ws_.got_text() ? authenticate(beast::buffers_to_string(buffer.data()), reason) : std::nullopt;
        if (!user) {
            if (reason.empty()) reason = auth_error_text();
            spdlog::info("websocket {}: authentication refused: {}", endpoint_.pattern, reason);
            co_await ws_.async_close(reason_of(CloseCode::unauthorized, reason), use_tuple);
            co_return;
        }
        user_ = *user;
        auto ok = std::make_shared<const std::string>(
            boost::json::serialize(boost::json::object{{"type", "auth.ok"}, {"user", user_}}));
        queued_bytes_ += ok->size();
        enqueue(std::move(ok), FrameKind::text);

        WebSocketOpen open{this->shared_from_this(), params_, user_, connection_->remote_address};
        try {
            handler_ = endpoint_.open(open);
        } catch (const HttpError& error) {
            const auto code = static_cast<CloseCode>(4000 + std::clamp(error.status(), 400, 499));
            close_gracefully(code, error.what());
        } catch (const std::exception& error) {
            spdlog::error("websocket {}: handler failed to start: {}", endpoint_.pattern, error.what());
            close_gracefully(static_cast<CloseCode>(1011), "internal error");
        }

        while (handler_ && !closed_ && !closing_) {
            buffer.clear();
            auto [error, size] = co_await ws_.async_read(buffer, use_tuple);
            if (error || closed_ || closing_ || !handler_) break;
            const auto data = buffer.cdata();
            handler_->on_message(std::string_view(static_cast<const char*>(data.data()), data.size()),
                                 ws_.got_text() ? FrameKind::text : FrameKind::binary);
        }
        // A graceful close was requested: keep reading so the close handshake completes.
        while (!closed_hard_) {
            buffer.clear();
            auto [error, size] = co_await ws_.async_read(buffer, use_tuple);
            if (error) co_return;
        }
    }

    std::optional<std::string> authenticate(const std::string& text, std::string& reason) {
        boost::system::error_code error;
        auto value = boost::json::parse(text, error);
        const auto* object = (!error && value.is_object()) ? &value.as_object() : nullptr;
        const auto* type = object ? object->if_contains("type") : nullptr;
        const auto* token = object ? object->if_contains("token") : nullptr;
        if (!type || !type->is_string() || type->as_string() != "auth" || !token || !token->is_string()) {
            reason = auth_error_text();
            return std::nullopt;
        }
        auto user = state_.verify(std::string_view(token->as_string()));
        if (!user) reason = "invalid or expired token";
        return user;
    }

    // On the strand. Queue a message whose bytes send() already counted; enforce the limits.
    void enqueue(SharedMessage message, FrameKind kind) {
        if (closed_ || closing_) {
            queued_bytes_ -= message->size();
            return;
        }
        const auto& limits = endpoint_.limits;
        if (queue_.size() >= limits.max_queued_messages || queued_bytes_ > limits.max_queued_bytes) {
            queued_bytes_ -= message->size();
            spdlog::warn("websocket {}: client of user \"{}\" at {} fell {} messages / {} bytes behind; closing",
                         endpoint_.pattern, user_, connection_->remote_address, queue_.size(), queued_bytes_.load());
            close_hard();
            return;
        }
        queue_.push_back(Queued{std::move(message), kind});
        start_writing();
    }

    void start_writing() {
        if (writing_) return;
        writing_ = true;
        asio::co_spawn(ws_.get_executor(), write_loop(this->shared_from_this()), log_exception);
    }

    static awaitable<void> write_loop(std::shared_ptr<WebSocketSession> self) {
        while (!self->queue_.empty() && !self->closed_) {
            const Queued item = self->queue_.front();
            self->ws_.text(item.kind == FrameKind::text);
            auto [error, size] = co_await self->ws_.async_write(asio::buffer(*item.message), use_tuple);
            if (error) {
                self->close_hard();
                break;
            }
            if (self->queue_.empty()) break;  // dropped by a close while writing
            self->queue_.pop_front();
            self->queued_bytes_ -= item.message->size();
            self->notify_drained();
        }
        if (self->closing_ && !self->closed_) {
            co_await self->ws_.async_close(self->close_reason_, use_tuple);
        }
        self->writing_ = false;
    }

    void notify_drained() {
        if (drain_waiter_ && queued_bytes_ <= drain_low_water_) {
            auto resume = std::move(drain_waiter_);
            drain_waiter_ = nullptr;
            resume();
        }
    }

    // Sends what is queued, then the close frame.
    void close_gracefully(CloseCode code, std::string reason) {
        if (closed_ || closing_) return;
        closing_ = true;
        open_flag_ = false;
        close_reason_ = reason_of(code, std::move(reason));
        if (!writing_) {
            writing_ = true;
            asio::co_spawn(ws_.get_executor(), write_loop(this->shared_from_this()), log_exception);
        }
    }

    // Drops the queue and the socket at once (a client too slow to take its messages).
    void close_hard() {
        if (closed_) return;
        closed_ = closed_hard_ = true;
        open_flag_ = false;
        drop_queue();
        beast::get_lowest_layer(ws_).close();
    }

    // End of the session: the handler goes first, so that it stops producing.
    void finish() {
        closed_ = closed_hard_ = true;
        open_flag_ = false;
        if (handler_) {
            handler_->on_close();
            handler_.reset();
        }
        drain_waiter_ = nullptr;
        drop_queue();
        connection_->socket = nullptr;
    }

    // Messages still posted to the strand subtract their own bytes when they find it closed.
    void drop_queue() {
        for (const auto& item : queue_) queued_bytes_ -= item.message->size();
        queue_.clear();
    }

    struct Queued {
        SharedMessage message;
        FrameKind kind;
    };

    ServerState& state_;
    websocket::stream<Stream> ws_;
    const WebSocketEndpoint& endpoint_;
    std::map<std::string, std::string> params_;
    std::shared_ptr<Connection> connection_;
    asio::steady_timer auth_timer_;
    std::atomic<bool> open_flag_{true};
    std::atomic<std::size_t> queued_bytes_{0};  // written on the strand, read anywhere
    // Everything below is touched on the session's strand only.
    std::shared_ptr<WebSocketHandler> handler_;
    std::deque<Queued> queue_;
    bool writing_ = false;
    bool closing_ = false;      // a close frame goes out after the queue
    bool closed_ = false;       // nothing more is sent
    bool closed_hard_ = false;  // the socket is gone
    websocket::close_reason close_reason_;
    std::string user_;
    std::size_t drain_low_water_ = 0;
    std::function<void()> drain_waiter_;
};

}  // namespace

template <class Stream>
awaitable<void> run_websocket_session(ServerState& state, Stream stream, http::request<http::string_body> request,
                                      WebSocketRegistry::Match match, std::shared_ptr<Connection> connection) {
    // The parameters live in this coroutine's frame; the session takes them over.
    auto session = std::make_shared<WebSocketSession<Stream>>(state, std::move(stream), WebSocketRegistry::Match(match),
                                                              std::move(connection));
    co_await WebSocketSession<Stream>::run(session, http::request<http::string_body>(request));
}

template awaitable<void> run_websocket_session<PlainStream>(ServerState&, PlainStream, http::request<http::string_body>,
                                                            WebSocketRegistry::Match, std::shared_ptr<Connection>);
template awaitable<void> run_websocket_session<TlsStream>(ServerState&, TlsStream, http::request<http::string_body>,
                                                          WebSocketRegistry::Match, std::shared_ptr<Connection>);

}  // namespace ailab::net
