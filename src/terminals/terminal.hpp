#pragma once
// One terminal: its program on a pty, its scrollback ring, the modes at the ring's start and end,
// its attached clients and their flow control. The host's thread reads the pty and calls
// publish(); WebSocket strands call attach/input/resize/acknowledge/detach. Every member is
// thread-safe.
//
// Locks: mutex_ guards the ring, the scanners, the clients, the flow control and the state;
// master_mutex_ guards the master descriptor's lifetime for the writers (input, resize) and the
// input not yet written, so that writing input never waits for the lock the reader takes. Input is
// written without blocking: what the pty does not take at once waits in a bounded queue that the
// host's thread writes when the pty can take it, so no I/O thread ever waits for a program that
// does not read its input. Only the host's thread closes the master (under both locks, in that
// order); only it reads the master, without a lock.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "net/websocket_endpoint.hpp"
#include "terminals/flow.hpp"
#include "terminals/frames.hpp"
#include "terminals/modes.hpp"
#include "terminals/pty.hpp"
#include "terminals/ring.hpp"

namespace ailab::terminals {

using Clock = std::chrono::system_clock;

// What the list and the routes show; a copy taken under the terminal's lock.
struct TerminalInfo {
    std::string id;
    std::string user;
    std::string command;
    std::optional<std::string> root;
    std::string folder;
    int cols = 0;
    int rows = 0;
    bool running = true;
    std::optional<int> exit_code;
    std::optional<int> exit_signal;
    double started_at = 0;
    double last_activity = 0;
    std::size_t clients = 0;
    std::int64_t output_bytes = 0;
    std::string title;
};

// What a terminal is made of, besides its process.
struct TerminalOrigin {
    std::string id;
    std::string user;     // who opened it
    std::string command;  // as shown
    std::optional<std::string> root;
    std::string folder;
    int cols = 80;
    int rows = 24;
};

inline constexpr std::size_t high_water_bytes = std::size_t{2} << 20;
inline constexpr std::size_t low_water_bytes = std::size_t{1} << 20;
inline constexpr std::size_t replay_frame_bytes = std::size_t{64} * 1024;
inline constexpr std::size_t max_pending_input_bytes = std::size_t{1} << 20;
// A client that holds the pty paused this long without acknowledging anything is closed (4408),
// so that a client that vanished without closing its socket does not stall the others until the
// WebSocket's ping timeout.
inline constexpr auto stall_limit = std::chrono::seconds(10);

// Whether a call made reading the pty possible again (the host must re-arm its descriptor).
enum class Resumed { no, yes };
// Whether input waits for the pty to take it (the host must watch the descriptor for writing).
enum class InputQueued { no, yes };

class Terminal {
public:
    using ClientId = FlowControl::ClientId;

    Terminal(TerminalOrigin origin, PtyProcess process, std::size_t scrollback_bytes);
    Terminal(const Terminal&) = delete;
    Terminal& operator=(const Terminal&) = delete;

    const std::string& id() const { return origin_.id; }
    const std::string& user() const { return origin_.user; }
    pid_t pid() const { return pid_; }
    TerminalInfo info() const;
    double last_activity() const;
    std::size_t client_count() const;

    // --- WebSocket strands -----------------------------------------------------------------
    // Sends {"type":"attached"}, the replay (from request.offset when held, else from the oldest
    // held line start with the modes to restore), the title and, after an exit, the exit frame;
    // then the client gets every later output frame.
    void attach(ClientId client, std::shared_ptr<net::WebSocketPeer> peer, const AttachRequest& request);
    Resumed detach(ClientId client);
    // Writes input to the pty at once (paused or not), queueing what it cannot take now (beyond
    // max_pending_input_bytes it is dropped, with a warning). A client that types becomes the one
    // whose size the pty has.
    InputQueued input(ClientId client, std::string_view bytes);
    void resize(ClientId client, int cols, int rows);
    core::Result<Resumed> acknowledge(ClientId client, std::int64_t offset);

    // --- the host's thread -----------------------------------------------------------------
    int master_fd() const { return master_.get(); }
    int pidfd() const { return pidfd_.get(); }
    // Appends output to the ring and sends it to every client; returns whether reading may go on.
    FlowState publish(std::string_view bytes);
    FlowState flow_state() const;
    // Writes queued input as far as the pty takes it; returns whether some is still queued.
    InputQueued flush_input();
    InputQueued input_queued() const;
    // Closes (4408) the clients that kept the pty paused for stall_limit without acknowledging.
    Resumed drop_stalled_clients();
    // The pty gave EOF/EIO (or the program ended and nothing more came): closes the master.
    void output_ended();
    bool output_done() const;
    // The program was reaped (waitid on the pidfd); closes the pidfd.
    void reaped(std::optional<int> code, std::optional<int> signal);
    bool is_reaped() const;
    // For DELETE and culling: closes every client (1000, reason), sends SIGHUP to the process
    // group and the pty's foreground group, closes the master.
    void hang_up(net::CloseCode code, const std::string& reason);

private:
    struct Client {
        ClientId id = 0;
        std::shared_ptr<net::WebSocketPeer> peer;
        int cols = 80;
        int rows = 24;
    };
    void send_to_clients(const std::shared_ptr<const std::string>& message);  // under mutex_
    void apply_size_of(const Client& client);                                 // under mutex_
    void send_exit_if_done();                                                 // under mutex_
    void close_master();                                                      // host thread, under mutex_
    void touch();                                                             // under mutex_

    const TerminalOrigin origin_;
    const pid_t pid_;
    const double started_at_;
    core::OwnedFd pidfd_;  // the host's thread only

    mutable std::mutex master_mutex_;  // guards master_'s lifetime for writers
    core::OwnedFd master_;
    std::string pending_input_;  // guarded by master_mutex_

    mutable std::mutex mutex_;
    ByteRing ring_;
    ModeScanner modes_at_start_;  // fed with the bytes that leave the ring
    ModeScanner modes_at_end_;    // fed with every byte
    FlowControl flow_;
    std::vector<Client> clients_;
    ClientId size_owner_ = 0;
    int cols_ = 80;
    int rows_ = 24;
    double last_activity_ = 0;
    bool output_done_ = false;
    bool reaped_ = false;
    bool exit_sent_ = false;
    bool hung_up_ = false;
    std::optional<int> exit_code_;
    std::optional<int> exit_signal_;
};

double unix_now();

}  // namespace ailab::terminals
