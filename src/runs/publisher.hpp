#pragma once
// The batcher and publisher of the WebSocket topic "runs". The worker's rooms tell it which runs
// were added, changed or removed; it sends what clients have not seen yet as one message per
// batch: the first change after a quiet period goes out at once, later ones are merged until
// batch_window after the previous batch, so a client gets at most 10 runs messages a second. A
// batch holds per changed run at most one runs.updated (the changed fields only) and one
// runs.points (up to max_pending_points new lines), plus runs.added / runs.removed; several events
// travel as {"type":"runs.batch","events":[...]}. Nothing is built while nobody subscribes.
//
// Worker thread only.

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "runs/tracked.hpp"

namespace ailab::net {
class Hub;
}

namespace ailab::runs {

inline constexpr std::string_view runs_topic = "runs";
inline constexpr std::chrono::milliseconds batch_window{100};
// Points kept per run per batch for runs.points (a client that needs more re-fetches /metrics).
inline constexpr std::size_t max_pending_points = 1000;

enum class FlushTiming {
    when_due,  // only when batch_window has passed since the last batch
    now,
};

class Publisher {
public:
    using Clock = std::chrono::steady_clock;

    Publisher(net::Hub& hub, StateTimes times);

    // Whether anybody subscribes to the topic (else runs.points are not even collected).
    bool listening() const;
    // A new run, to be announced with runs.added in the next batch.
    void added(const RunPointer& run);
    // A run whose summary or points may have changed.
    void changed(const RunPointer& run);
    // A run taken out of the table: runs.removed, unless it was never announced.
    void removed(Run& run);
    // A run whose params changed: runs.params with the latest params in the next batch.
    void params_changed(const Run& run);

    std::size_t pending_params() const { return params_.size(); }
    // Whether a batch is waiting, and when it may go out.
    bool pending() const { return !added_.empty() || !changed_.empty() || !removed_.empty() || !params_.empty(); }
    Clock::time_point due() const { return last_flush_ + batch_window; }
    // Sends the waiting batch (if timing allows) as one message.
    void flush(FlushTiming timing);

private:
    net::Hub& hub_;
    StateTimes times_;
    std::vector<RunPointer> added_;
    std::vector<RunPointer> changed_;
    std::vector<std::string> removed_;
    std::map<std::string, std::string> params_;  // run id -> its params' JSON, the latest only
    Clock::time_point last_flush_{};
};

}  // namespace ailab::runs
