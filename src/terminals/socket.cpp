#include "terminals/socket.hpp"

#include "net/http.hpp"
#include "terminals/host.hpp"

namespace ailab::terminals {
namespace {

constexpr auto bad_message = static_cast<net::CloseCode>(4400);

class TerminalSocket final : public net::WebSocketHandler {
public:
    TerminalSocket(TerminalHost& host, std::shared_ptr<Terminal> terminal, std::shared_ptr<net::WebSocketPeer> peer)
        : rearm_(host.rearmer()),
          terminal_(std::move(terminal)),
          peer_(std::move(peer)),
          client_(host.next_client_id()) {}

    void on_message(std::string_view data, net::FrameKind kind) override {
        if (!attached_) {
            auto request =
                kind == net::FrameKind::text
                    ? parse_attach(data)
                    : core::Result<AttachRequest>(core::Error::invalid("send {\"type\":\"attach\",...} (text) first"));
            if (!request) {
                peer_->close(bad_message, request.error().message);
                return;
            }
            attached_ = true;
            terminal_->attach(client_, peer_, *request);
            return;
        }
        if (kind == net::FrameKind::text) return;  // nothing is defined for text after attach
        auto frame = parse_client_frame(data);
        if (!frame) {
            peer_->close(bad_message, frame.error().message);
            return;
        }
        switch (frame->type) {
        case ClientFrameType::input:
            if (terminal_->input(client_, frame->input) == InputQueued::yes) rearm_(terminal_);
            break;
        case ClientFrameType::resize: terminal_->resize(client_, frame->cols, frame->rows); break;
        case ClientFrameType::acknowledge: {
            auto resumed = terminal_->acknowledge(client_, frame->offset);
            if (!resumed)
                peer_->close(bad_message, resumed.error().message);
            else if (*resumed == Resumed::yes)
                rearm_(terminal_);
            break;
        }
        }
    }

    void on_close() override {
        if (attached_ && terminal_->detach(client_) == Resumed::yes) rearm_(terminal_);
    }

private:
    TerminalHost::Rearm rearm_;  // holds the host weakly
    std::shared_ptr<Terminal> terminal_;
    std::shared_ptr<net::WebSocketPeer> peer_;
    const FlowControl::ClientId client_;
    bool attached_ = false;
};

}  // namespace

void register_terminal_socket(net::WebSocketRegistry& websockets, TerminalHost& host) {
    net::WebSocketEndpoint endpoint;
    endpoint.pattern = "/api/v1/terminals/{id}/ws";
    endpoint.policy = net::SlowClientPolicy::backpressure;
    // The flow control stops at 2 MiB unacknowledged; a replay sends up to the whole ring at once.
    endpoint.limits.max_queued_bytes = host.settings().scrollback_bytes + (std::size_t{16} << 20);
    endpoint.limits.max_queued_messages = 1 << 16;
    endpoint.limits.max_message_bytes = std::size_t{1} << 20;  // a large paste
    endpoint.open = [&host](net::WebSocketOpen& open) -> std::shared_ptr<net::WebSocketHandler> {
        auto terminal = host.find(open.params.at("id"), open.user);
        if (!terminal) throw net::HttpError(404, "no terminal " + open.params.at("id"));
        return std::make_shared<TerminalSocket>(host, std::move(terminal), open.peer);
    };
    websockets.add(std::move(endpoint));
}

}  // namespace ailab::terminals
