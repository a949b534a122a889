#include "terminals/terminal.hpp"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

namespace ailab::terminals {

double unix_now() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

namespace {

std::shared_ptr<const std::string> shared(std::string text) {
    return std::make_shared<const std::string>(std::move(text));
}

// Writes what the non-blocking master takes now; returns the bytes written, or nullopt when the
// pty failed (EIO: nobody holds its terminal side any more, so the input can never be read).
std::optional<std::size_t> write_some(int fd, std::string_view bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const auto written = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (written > 0)
            done += static_cast<std::size_t>(written);
        else if (written < 0 && errno == EINTR)
            continue;
        else if (written < 0 && errno == EAGAIN)
            break;  // the program has not read its input yet
        else
            return std::nullopt;
    }
    return done;
}

}  // namespace

Terminal::Terminal(TerminalOrigin origin, PtyProcess process, std::size_t scrollback_bytes)
    : origin_(std::move(origin)),
      pid_(process.pid),
      started_at_(unix_now()),
      pidfd_(std::move(process.pidfd)),
      master_(std::move(process.master)),
      ring_(scrollback_bytes),
      flow_(high_water_bytes, low_water_bytes),
      cols_(origin_.cols),
      rows_(origin_.rows),
      last_activity_(started_at_) {}

TerminalInfo Terminal::info() const {
    std::lock_guard lock(mutex_);
    TerminalInfo info;
    info.id = origin_.id;
    info.user = origin_.user;
    info.command = origin_.command;
    info.root = origin_.root;
    info.folder = origin_.folder;
    info.cols = cols_;
    info.rows = rows_;
    info.running = !exit_sent_;
    info.exit_code = exit_code_;
    info.exit_signal = exit_signal_;
    info.started_at = started_at_;
    info.last_activity = last_activity_;
    info.clients = clients_.size();
    info.output_bytes = ring_.end_offset();
    info.title = modes_at_end_.modes().title;
    return info;
}

double Terminal::last_activity() const {
    std::lock_guard lock(mutex_);
    return last_activity_;
}

std::size_t Terminal::client_count() const {
    std::lock_guard lock(mutex_);
    return clients_.size();
}

void Terminal::touch() { last_activity_ = unix_now(); }

void Terminal::attach(ClientId client, std::shared_ptr<net::WebSocketPeer> peer, const AttachRequest& request) {
    std::lock_guard lock(mutex_);
    std::int64_t start = 0;
    std::string restore;
    if (request.offset && ring_.holds(*request.offset)) {
        start = *request.offset;  // the client's screen has everything before it
    } else {
        // The oldest held byte that begins a line: never inside an escape sequence or a character.
        start = ring_.start_offset();
        if (start > 0) {
            const auto line_start = ring_.offset_after('\n', start);
            if (line_start >= 0) start = line_start;
        }
        ModeScanner at_start = modes_at_start_;
        ring_.visit(ring_.start_offset(), start, [&at_start](std::string_view piece) { at_start.feed(piece); });
        restore = at_start.modes().restore_sequence();
    }
    peer->send(shared(attached_message(start, restore)), net::FrameKind::text);
    for (auto at = start; at < ring_.end_offset();) {
        auto piece = ring_.copy(at, replay_frame_bytes);
        at += static_cast<std::int64_t>(piece.size());
        peer->send(shared(output_frame(piece)), net::FrameKind::binary);
    }
    if (const auto& title = modes_at_end_.modes().title; !title.empty())
        peer->send(shared(title_frame(title)), net::FrameKind::binary);
    if (exit_sent_) peer->send(shared(exit_frame(exit_code_, exit_signal_)), net::FrameKind::binary);

    flow_.add(client, start);
    flow_.sent_all(ring_.end_offset());
    flow_.update();
    clients_.push_back(Client{client, std::move(peer), request.cols, request.rows});
    touch();
    apply_size_of(clients_.back());
    // A full-screen program redraws its whole screen on SIGWINCH: the exact picture, whatever the
    // ring still holds of its last redraw.
    if (modes_at_end_.modes().alternate_screen) {
        std::lock_guard master_lock(master_mutex_);
        if (master_) {
            const pid_t foreground = ::tcgetpgrp(master_.get());
            if (foreground > 0) ::kill(-foreground, SIGWINCH);
        }
    }
}

Resumed Terminal::detach(ClientId client) {
    std::lock_guard lock(mutex_);
    std::erase_if(clients_, [client](const Client& item) { return item.id == client; });
    flow_.remove(client);
    touch();
    const auto before = flow_.state();
    return before == FlowState::paused && flow_.update() == FlowState::reading ? Resumed::yes : Resumed::no;
}

InputQueued Terminal::input(ClientId client, std::string_view bytes) {
    {
        std::lock_guard lock(mutex_);
        touch();
        if (size_owner_ != client) {
            const auto found = std::find_if(clients_.begin(), clients_.end(),
                                            [client](const Client& item) { return item.id == client; });
            if (found != clients_.end()) apply_size_of(*found);
        }
    }
    std::lock_guard master_lock(master_mutex_);
    if (!master_) return InputQueued::no;
    if (pending_input_.empty()) {
        const auto written = write_some(master_.get(), bytes);
        if (!written) return InputQueued::no;
        bytes.remove_prefix(*written);
    }
    if (bytes.empty()) return InputQueued::no;
    const auto room = max_pending_input_bytes - std::min(max_pending_input_bytes, pending_input_.size());
    if (bytes.size() > room)
        spdlog::warn("terminal {}: the program reads no input; {} bytes of input dropped", origin_.id,
                     bytes.size() - room);
    pending_input_.append(bytes.substr(0, room));
    return pending_input_.empty() ? InputQueued::no : InputQueued::yes;
}

InputQueued Terminal::flush_input() {
    std::lock_guard master_lock(master_mutex_);
    if (!master_) pending_input_.clear();
    if (pending_input_.empty()) return InputQueued::no;
    const auto written = write_some(master_.get(), pending_input_);
    if (written)
        pending_input_.erase(0, *written);
    else
        pending_input_.clear();
    return pending_input_.empty() ? InputQueued::no : InputQueued::yes;
}

InputQueued Terminal::input_queued() const {
    std::lock_guard master_lock(master_mutex_);
    return master_ && !pending_input_.empty() ? InputQueued::yes : InputQueued::no;
}

Resumed Terminal::drop_stalled_clients() {
    std::lock_guard lock(mutex_);
    if (flow_.state() != FlowState::paused) return Resumed::no;
    for (const auto id : flow_.stalled(std::chrono::steady_clock::now(), stall_limit)) {
        for (const auto& client : clients_)
            if (client.id == id) client.peer->close(net::CloseCode::too_slow, "acknowledged nothing for 10 s");
        flow_.remove(id);
    }
    return flow_.update() == FlowState::reading ? Resumed::yes : Resumed::no;
}

void Terminal::resize(ClientId client, int cols, int rows) {
    std::lock_guard lock(mutex_);
    const auto found =
        std::find_if(clients_.begin(), clients_.end(), [client](const Client& item) { return item.id == client; });
    if (found == clients_.end()) return;
    found->cols = cols;
    found->rows = rows;
    apply_size_of(*found);
}

void Terminal::apply_size_of(const Client& client) {
    size_owner_ = client.id;
    if (client.cols == cols_ && client.rows == rows_) return;
    cols_ = client.cols;
    rows_ = client.rows;
    std::lock_guard master_lock(master_mutex_);
    if (master_) set_window_size(master_.get(), cols_, rows_);
}

core::Result<Resumed> Terminal::acknowledge(ClientId client, std::int64_t offset) {
    std::lock_guard lock(mutex_);
    const auto before = flow_.state();
    if (auto status = flow_.acknowledge(client, offset); !status) return status.error();
    return before == FlowState::paused && flow_.update() == FlowState::reading ? Resumed::yes : Resumed::no;
}

void Terminal::send_to_clients(const std::shared_ptr<const std::string>& message) {
    for (const auto& client : clients_) client.peer->send(message, net::FrameKind::binary);
}

FlowState Terminal::publish(std::string_view bytes) {
    std::lock_guard lock(mutex_);
    ring_.append(bytes, [this](std::string_view gone) { modes_at_start_.feed(gone); });
    const auto title_before = modes_at_end_.modes().title;
    modes_at_end_.feed(bytes);
    send_to_clients(shared(output_frame(bytes)));
    if (modes_at_end_.modes().title != title_before) send_to_clients(shared(title_frame(modes_at_end_.modes().title)));
    // A client whose socket closed stops counting now, before its on_close arrives.
    for (const auto& client : clients_)
        if (!client.peer->is_open()) flow_.remove(client.id);
    flow_.sent_all(ring_.end_offset());
    touch();
    return flow_.update();
}

FlowState Terminal::flow_state() const {
    std::lock_guard lock(mutex_);
    return flow_.state();
}

void Terminal::close_master() {
    std::lock_guard master_lock(master_mutex_);
    master_.reset();
    pending_input_.clear();
}

void Terminal::output_ended() {
    std::lock_guard lock(mutex_);
    output_done_ = true;
    close_master();
    send_exit_if_done();
}

bool Terminal::output_done() const {
    std::lock_guard lock(mutex_);
    return output_done_;
}

void Terminal::reaped(std::optional<int> code, std::optional<int> signal) {
    std::lock_guard lock(mutex_);
    reaped_ = true;
    exit_code_ = code;
    exit_signal_ = signal;
    pidfd_.reset();
    send_exit_if_done();
}

bool Terminal::is_reaped() const {
    std::lock_guard lock(mutex_);
    return reaped_;
}

void Terminal::send_exit_if_done() {
    if (exit_sent_ || !reaped_ || !output_done_) return;
    exit_sent_ = true;
    touch();
    send_to_clients(shared(exit_frame(exit_code_, exit_signal_)));
}

void Terminal::hang_up(net::CloseCode code, const std::string& reason) {
    std::lock_guard lock(mutex_);
    if (hung_up_) return;
    hung_up_ = true;
    for (const auto& client : clients_) client.peer->close(code, reason);
    clients_.clear();
    {
        std::lock_guard master_lock(master_mutex_);
        if (master_ && !reaped_) {
            const pid_t foreground = ::tcgetpgrp(master_.get());
            if (foreground > 0 && foreground != pid_) ::kill(-foreground, SIGHUP);
        }
        master_.reset();
        pending_input_.clear();
    }
    output_done_ = true;
    if (!reaped_) ::kill(-pid_, SIGHUP);
}

}  // namespace ailab::terminals
