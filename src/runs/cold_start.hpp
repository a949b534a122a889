#pragma once
// The cold start: find every run and read only the head and tail of each log (a few KB: the first
// line for started_at, the last 8 lines for the state), so that every run's state is known within
// a fraction of a second of start, however long the logs are. The full index follows on the
// worker (runs/indexer.hpp).

#include <chrono>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <memory>
#include <vector>

#include "runs/line_parser.hpp"
#include "runs/results_root.hpp"
#include "runs/run_table.hpp"
#include "runs/settings.hpp"
#include "runs/tracked.hpp"

namespace ailab::runs {

// Reads the head and tail of one run's log into its cold fold (Run::cold, cold_metrics, access,
// identity). Runs of the other formats (event files, CSV, trainer state) have no cheap tail: their
// reader reads them whole, up to slice_bytes, straight into the fold and history (indexed when it
// got to the end; else the fold so far is copied to `cold` and the indexer goes on). Touches only
// fields nobody else can see yet. One reader per thread.
class ColdReader {
public:
    explicit ColdReader(const ResultsRoot& root) : root_(root) {}
    void read(Run& run);

private:
    void read_log_ends(Run& run);
    void read_whole(Run& run);

    const ResultsRoot& root_;
    LineParser parser_;
    std::vector<char> buffer_;
    std::unique_ptr<ReadBuffer> read_buffer_;  // for read_whole, made on first use
};

// Where a run's records start to go out as runs.points once the worker runs: after what the cold
// start read (the log's size for ailab logs; the reader's position for the other formats).
std::uint64_t points_start(const Run& run);

// What the worker takes over from the cold start.
struct ColdStart {
    FolderMap folders;               // every folder that is not a run, the root included
    std::deque<RunPointer> backlog;  // every run, most recently updated first: the full index's order
    std::size_t history_capacity = MetricHistory::default_capacity;  // buckets per run (see cold_start.cpp)
};

// Scans results, creates every run with its cold fold (on two threads when there are many), puts
// them in the table, and sets each run's baseline (published, last_state, active). Returns when
// every run's state is known.
ColdStart cold_start(const std::filesystem::path& results, const ResultsRoot& root, const Settings& settings,
                     RunTable& table);

}  // namespace ailab::runs
