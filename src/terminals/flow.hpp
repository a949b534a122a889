#pragma once
// Flow control of one terminal (docs/API.md "Terminals", Flow control): per attached client, the
// stream offset sent and the offset it acknowledged. The pty is read while `reading`; it becomes
// `paused` once any client has more than high_water_bytes unacknowledged, and `reading` again
// when every client is at or below low_water_bytes. A removed client stops counting at once.
// Pure bookkeeping, not thread-safe: its Terminal's mutex guards it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "core/error.hpp"

namespace ailab::terminals {

enum class FlowState { reading, paused };

class FlowControl {
public:
    FlowControl(std::size_t high_water_bytes, std::size_t low_water_bytes)
        : high_water_(high_water_bytes), low_water_(low_water_bytes) {}

    using ClientId = std::uint64_t;
    using Time = std::chrono::steady_clock::time_point;

    // A client that holds the stream up to `offset` (sent and acknowledged).
    void add(ClientId client, std::int64_t offset, Time now = std::chrono::steady_clock::now());
    void remove(ClientId client);
    // Every client has now been sent the stream up to `offset`.
    void sent_all(std::int64_t offset);
    // The client consumed the stream up to `offset`. invalid_argument when it acknowledges more
    // than it was sent; an older acknowledgement than the last is ignored.
    core::Status acknowledge(ClientId client, std::int64_t offset, Time now = std::chrono::steady_clock::now());

    // While paused: the clients above the high-water mark whose acknowledged offset has not moved
    // for `limit` (since they were added or last acknowledged more).
    std::vector<ClientId> stalled(Time now, std::chrono::steady_clock::duration limit) const;

    // Re-evaluates the state after any of the above; returns it.
    FlowState update();
    FlowState state() const { return state_; }
    std::int64_t unacknowledged(ClientId client) const;
    std::size_t clients() const { return clients_.size(); }

private:
    struct Client {
        std::int64_t sent = 0;
        std::int64_t acknowledged = 0;
        Time progress_at{};  // when it was added or last acknowledged more
    };
    std::size_t high_water_;
    std::size_t low_water_;
    std::map<ClientId, Client> clients_;
    FlowState state_ = FlowState::reading;
};

}  // namespace ailab::terminals
