#pragma once
// The indexer: reads logs into each run's fold and metric history. Two queues: `urgent` (logs the
// watcher saw change, new runs) is read first; the `backlog` (the full index after the cold start,
// most recently updated runs first) takes what time is left. Either is read in slices of
// slice_bytes, so a long log never starves live changes. A run that changed is handed to the
// publisher.
//
// Worker thread only, except wait_until_indexed(), which any thread may call.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runs/line_parser.hpp"
#include "runs/log_reader.hpp"
#include "runs/publisher.hpp"
#include "runs/results_root.hpp"
#include "runs/tracked.hpp"

namespace ailab::runs {

// The indexer reads at most this much of one log before it looks at other work again.
inline constexpr std::size_t slice_bytes = std::size_t{8} << 20;

enum class QueueDrain {
    one_round,    // each run queued now gets one slice; runs with more go to the back
    until_empty,  // until nothing is left (poll_now, restore)
};

class Indexer {
public:
    Indexer(std::filesystem::path results, const ResultsRoot& root, Publisher& publisher);

    // The full index's order (from the cold start). Call before the worker runs.
    void set_backlog(std::deque<RunPointer> backlog);
    // Reads this run's log before the backlog goes on.
    void mark_urgent(const RunPointer& run);
    bool has_urgent() const { return !urgent_.empty(); }
    bool busy() const { return !urgent_.empty() || !backlog_.empty(); }

    // Read the queues. A run whose folder is gone adds its parent to gone_folders, for the caller
    // to list again.
    void process_urgent(QueueDrain drain, std::set<std::string>& gone_folders);
    void process_backlog(std::set<std::string>& gone_folders);

    // Runs whose format params (TensorBoard hparams) changed since the last call, for the params
    // reader; the list is emptied.
    std::vector<RunPointer> take_params_changed() { return std::exchange(params_changed_, {}); }

    // Any thread: waits until the backlog of the cold start has been read.
    bool wait_until_indexed(std::chrono::milliseconds timeout) const;

private:
    enum class ReadOutcome { done, more };
    // Reads what is new in a run's log, at most slice_bytes.
    ReadOutcome read(const RunPointer& run, std::set<std::string>& gone_folders);
    void report_indexed();

    std::filesystem::path results_;
    const ResultsRoot& root_;
    Publisher& publisher_;
    LineParser parser_;
    ReadBuffer buffer_;
    std::deque<RunPointer> urgent_;   // changed logs and new runs: read first
    std::deque<RunPointer> backlog_;  // the initial full index
    bool index_reported_ = false;     // the end of the initial backlog was announced
    std::vector<RunPointer> params_changed_;

    // Guards indexed_ (set when the backlog empties), for wait_until_indexed().
    mutable std::mutex index_mutex_;
    mutable std::condition_variable index_done_;
    bool indexed_ = false;
};

}  // namespace ailab::runs
