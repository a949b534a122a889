#include "client/output_follow.hpp"

#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <csignal>
#include <functional>
#include <iostream>

#include "client/transport.hpp"
#include "core/version.hpp"

namespace ailab::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

int exit_status_of(const JobEnd& end) {
    if (end.exit_code && *end.exit_code != 0) return *end.exit_code;
    if (end.signal) return 128 + *end.signal;
    if (end.state == "done") return 0;
    return 1;
}

namespace {

enum class SessionEnd {
    ended,        // the end frame came
    dropped,      // the connection went away: reconnect and resume
    refused,      // the server said no (unknown job, bad token, bad resume): give up
    interrupted,  // Ctrl-C
};

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        auto count = ::write(fd, data, size);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) return false;
        data += count;
        size -= static_cast<std::size_t>(count);
    }
    return true;
}

}  // namespace

struct OutputFollower::Impl {
    ServerAccess access;
    std::int64_t job_id = 0;
    int output_fd = 1;
    asio::io_context io;
    asio::signal_set signals{io, SIGINT};
    int interrupts = 0;
    // Cancels the operation in flight when Ctrl-C comes (set by whoever runs one).
    std::function<void()> on_interrupt;

    void arm() {
        signals.async_wait([this](boost::system::error_code error, int) {
            if (error) return;
            ++interrupts;
            if (on_interrupt) on_interrupt();
            arm();
        });
    }

    core::Error refusal(int code, const std::string& reason) const {
        std::string id = std::to_string(job_id);
        if (code == 4401)
            return core::Error::invalid("the server refused the token; run: ailab login " + access.url.text);
        if (code == 4404) return core::Error::invalid("job " + id + " not found (HTTP 404)");
        return core::Error::invalid("the output stream of job " + id + " was refused: " +
                                    (reason.empty() ? "close code " + std::to_string(code) : reason));
    }

    // One connection: auth, resume at `offset`, frames until the end, a drop, a refusal or Ctrl-C.
    template <class NextLayer>
    SessionEnd session(NextLayer next, std::int64_t& offset, JobEnd& end, std::optional<core::Error>& error,
                       bool& authenticated) {
        websocket::stream<NextLayer> ws(std::move(next));
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = std::chrono::seconds(15);
        timeouts.idle_timeout = std::chrono::seconds(30);  // a ping at 15 s; no answer by 30 s: dropped
        timeouts.keep_alive_pings = true;
        beast::get_lowest_layer(ws).expires_never();
        ws.set_option(timeouts);
        ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
            request.set(beast::http::field::user_agent, std::string("ailab-cli/") + ailab::version);
        }));
        ws.read_message_max(std::uint64_t{16} << 20);
        on_interrupt = [&ws] { beast::get_lowest_layer(ws).cancel(); };
        struct Reset {
            std::function<void()>& slot;
            ~Reset() { slot = nullptr; }
        } reset{on_interrupt};

        const std::string target = access.url.target("/api/v1/jobs/" + std::to_string(job_id) + "/output/ws");
        auto failed = [&](boost::system::error_code code) {
            if (interrupts > 0) return SessionEnd::interrupted;
            if (code == websocket::error::closed) {
                const auto& reason = ws.reason();
                if (reason.code >= 4000) {
                    error = refusal(reason.code, std::string(reason.reason.data(), reason.reason.size()));
                    return SessionEnd::refused;
                }
            }
            error = core::Error{code, "the output stream of job " + std::to_string(job_id) +
                                          " was interrupted: " + transport::describe(code)};
            return SessionEnd::dropped;
        };
        auto code = transport::run_operation(
            io, [&](auto handler) { ws.async_handshake(access.url.host_header(), target, std::move(handler)); });
        if (code) return failed(code);

        beast::flat_buffer buffer;
        auto send_text = [&](std::string text) {
            ws.text(true);
            return transport::run_operation(
                io, [&](auto handler) { ws.async_write(asio::buffer(text), std::move(handler)); });
        };
        auto read = [&] {
            buffer.clear();
            return transport::run_operation(io, [&](auto handler) { ws.async_read(buffer, std::move(handler)); });
        };
        if ((code = send_text(boost::json::serialize(boost::json::object{{"type", "auth"}, {"token", access.token}}))))
            return failed(code);
        if ((code = read())) return failed(code);
        if (interrupts > 0) return SessionEnd::interrupted;
        authenticated = true;
        if ((code = send_text(boost::json::serialize(boost::json::object{{"type", "resume"}, {"offset", offset}}))))
            return failed(code);
        for (;;) {
            if ((code = read())) return failed(code);
            if (interrupts > 0) return SessionEnd::interrupted;
            const auto data = buffer.cdata();
            const char* bytes = static_cast<const char*>(data.data());
            if (ws.got_binary()) {
                if (!write_all(output_fd, bytes, data.size())) {
                    error = core::Error::from_errno(errno, "cannot write the output");
                    return SessionEnd::refused;
                }
                offset += static_cast<std::int64_t>(data.size());
                continue;
            }
            boost::system::error_code parse_error;
            auto message = boost::json::parse(std::string_view(bytes, data.size()), parse_error);
            if (parse_error || !message.is_object()) continue;
            const auto& object = message.as_object();
            const auto* type = object.if_contains("type");
            if (type == nullptr || !type->is_string() || type->as_string() != "end") continue;
            if (const auto* state = object.if_contains("state"); state && state->is_string())
                end.state = std::string(state->as_string());
            if (const auto* exit_code = object.if_contains("exit_code"); exit_code && exit_code->is_int64())
                end.exit_code = static_cast<int>(exit_code->as_int64());
            if (const auto* signal = object.if_contains("signal"); signal && signal->is_int64())
                end.signal = static_cast<int>(signal->as_int64());
            if (const auto* bytes_total = object.if_contains("output_bytes"); bytes_total && bytes_total->is_int64())
                end.output_bytes = bytes_total->as_int64();
            return SessionEnd::ended;
        }
    }

    // Waits `delay` unless Ctrl-C comes first.
    void pause(std::chrono::milliseconds delay) {
        asio::steady_timer timer(io, delay);
        on_interrupt = [&timer] { timer.cancel(); };
        transport::run_operation(io, [&](auto handler) { timer.async_wait(std::move(handler)); });
        on_interrupt = nullptr;
    }
};

OutputFollower::OutputFollower(ServerAccess access, std::int64_t job_id, int output_fd)
    : impl_(std::make_unique<Impl>()) {
    impl_->access = std::move(access);
    impl_->job_id = job_id;
    impl_->output_fd = output_fd;
    impl_->arm();
}

OutputFollower::~OutputFollower() {
    boost::system::error_code ignored;
    impl_->signals.clear(ignored);
}

FollowOutcome OutputFollower::follow(std::int64_t offset, std::chrono::seconds reconnect_for) {
    auto& impl = *impl_;
    FollowOutcome outcome;
    outcome.offset = offset;
    bool streamed = false;  // a session was authenticated once: later drops are worth retrying
    bool lost = false;      // in an outage, which began at lost_since
    auto lost_since = std::chrono::steady_clock::now();
    std::chrono::milliseconds delay(200);
    for (;;) {
        std::optional<core::Error> error;
        SessionEnd how = SessionEnd::dropped;
        auto opened = transport::open_stream(impl.io, impl.access, std::chrono::seconds(15));
        if (impl.interrupts > 0) {
            how = SessionEnd::interrupted;
        } else if (!opened) {
            error = opened.error();
        } else {
            bool authenticated = false;
            how = std::visit(
                [&](auto& stream) {
                    return impl.session(std::move(stream), outcome.offset, outcome.job, error, authenticated);
                },
                opened->stream);
            if (authenticated) {
                streamed = true;
                if (lost) std::cerr << "ailab: reconnected; resuming at byte " << outcome.offset << "\n";
                lost = false;
                delay = std::chrono::milliseconds(200);
            }
        }
        switch (how) {
        case SessionEnd::ended: outcome.end = FollowEnd::ended; return outcome;
        case SessionEnd::interrupted: outcome.end = FollowEnd::detached; return outcome;
        case SessionEnd::refused:
            outcome.end = FollowEnd::failed;
            outcome.error = std::move(error);
            return outcome;
        case SessionEnd::dropped: break;
        }
        const auto now = std::chrono::steady_clock::now();
        if (!streamed || (lost && now - lost_since > reconnect_for)) {
            outcome.end = FollowEnd::failed;
            outcome.error = std::move(error);
            if (streamed && outcome.error)
                outcome.error->message += "; re-attach with: ailab logs -f " + std::to_string(impl.job_id);
            return outcome;
        }
        if (!lost) {
            lost = true;
            lost_since = now;
            std::cerr << "ailab: " << (error ? error->message : std::string("connection lost")) << "; reconnecting…\n";
        }
        impl.pause(delay);
        delay = std::min(delay * 2, std::chrono::milliseconds(2000));
        if (impl.interrupts > 0) {
            outcome.end = FollowEnd::detached;
            return outcome;
        }
    }
}

bool OutputFollower::interrupted_again_within(std::chrono::milliseconds window) {
    auto& impl = *impl_;
    const int before = impl.interrupts;
    impl.pause(window);
    boost::system::error_code ignored;
    impl.signals.clear(ignored);
    return impl.interrupts > before;
}

}  // namespace ailab::client
