#pragma once
// The cold start: find every run and read only the head and tail of each log (a few KB: the first
// line for started_at, the last 8 lines for the state), so that every run's state is known within
// a fraction of a second of start, however long the logs are. The full index follows on the
// worker (runs/indexer.hpp).

#include <chrono>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <vector>

#include "runs/results_root.hpp"
#include "runs/line_parser.hpp"
#include "runs/run_table.hpp"
#include "runs/settings.hpp"
#include "runs/tracked.hpp"

namespace ailab::runs {

// Reads the head and tail of one run's log into its cold fold (Run::cold, cold_metrics, access,
// identity). Touches only fields nobody else can see yet. One reader per thread.
class ColdReader {
public:
    explicit ColdReader(const ResultsRoot& root) : root_(root) {}
    void read(Run& run);

private:
    const ResultsRoot& root_;
    LineParser parser_;
    std::vector<char> buffer_;
};

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
