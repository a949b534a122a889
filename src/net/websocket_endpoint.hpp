#pragma once
// WebSocket endpoints as features see them, without Beast or Asio. A feature registers a path
// pattern ("/api/v1/terminals/{id}/ws") and a factory; the server's websocket_session does the
// rest in one place for every endpoint: the Origin check at the upgrade, the first-message
// authentication ({"type":"auth","token":...} within 10 s, else close 4401), text and binary
// frames, and the write queue with its limits. Only then is the factory called, with the
// authenticated user, and the handler it returns gets every later message.
//
// Slow clients. Every session counts the messages and bytes it has queued but not yet written.
// - SlowClientPolicy::drop (broadcast topics, dashboards): a client past either limit is closed
//   (code 4408) and its queue freed; the producer never waits.
// - SlowClientPolicy::backpressure (terminals, job output): the producer asks queued_bytes() or
//   when_drained() and pauses itself (stops reading the pty, stops tailing) until the session has
//   written its queue down; the limits are then a last-resort guard against a producer that
//   ignores them.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/hub.hpp"

namespace ailab::net {

enum class FrameKind { text, binary };
enum class SlowClientPolicy { drop, backpressure };

struct WebSocketLimits {
    std::size_t max_queued_messages = 2048;
    std::size_t max_queued_bytes = std::size_t{16} << 20;
    std::size_t max_message_bytes = std::size_t{64} * 1024;  // largest message a client may send
};

// Close codes the server uses (4000-4999 are the application's).
enum class CloseCode : std::uint16_t {
    normal = 1000,
    going_away = 1001,
    policy = 1008,
    unauthorized = 4401,
    forbidden = 4403,
    not_found = 4404,
    too_slow = 4408,
    too_many = 4429,
};

// The session as its handler sees it. Every member is thread-safe: sends are posted to the
// session's strand, so a producer thread may call them directly. After the session ended, sends
// are dropped and when_drained() callbacks are not called.
class WebSocketPeer {
public:
    virtual ~WebSocketPeer() = default;
    virtual void send(SharedMessage message, FrameKind kind = FrameKind::text) = 0;
    // Bytes queued and not yet written to the socket.
    virtual std::size_t queued_bytes() const = 0;
    // Calls resume once (on the session's strand) when queued bytes are at or below
    // low_water_bytes, at once if they already are. A second call replaces the first waiter.
    virtual void when_drained(std::size_t low_water_bytes, std::function<void()> resume) = 0;
    virtual void close(CloseCode code, std::string reason) = 0;
    virtual bool is_open() const = 0;
};

// One per connection. Called on the session's strand, one call at a time, never after on_close.
class WebSocketHandler {
public:
    virtual ~WebSocketHandler() = default;
    virtual void on_message(std::string_view data, FrameKind kind) = 0;
    virtual void on_close() {}
};

struct WebSocketOpen {
    std::shared_ptr<WebSocketPeer> peer;
    std::map<std::string, std::string> params;  // captures of the pattern, e.g. {id}
    std::string user;                           // authenticated by the first message
    std::string remote_address;
};

// Creates the handler once the client authenticated. Throwing HttpError closes the session with
// a 44xx code mirroring its status (404 -> 4404) and the error's message as the reason.
using WebSocketFactory = std::function<std::shared_ptr<WebSocketHandler>(WebSocketOpen&)>;

struct WebSocketEndpoint {
    std::string pattern;
    SlowClientPolicy policy = SlowClientPolicy::drop;
    WebSocketLimits limits;
    WebSocketFactory open;
};

// Register every endpoint before the server starts; match() is then thread-safe.
class WebSocketRegistry {
public:
    void add(WebSocketEndpoint endpoint);

    struct Match {
        const WebSocketEndpoint* endpoint = nullptr;
        std::map<std::string, std::string> params;
    };
    std::optional<Match> match(std::string_view path) const;
    std::vector<std::string> patterns() const;

private:
    struct Entry {
        WebSocketEndpoint endpoint;
        std::vector<std::string> segments;  // "{id}" marks a capture
    };
    std::vector<Entry> entries_;
};

}  // namespace ailab::net
