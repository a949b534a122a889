#pragma once
// Replay and export from disk: reads a log again, with the same fold as the index, when the
// metric history in memory is too coarse for a request (full-resolution series) and for the
// CSV/JSONL export. Runs on the calling thread (a route handler) with no lock held; each thread
// keeps its own parser and read buffer.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "runs/format.hpp"
#include "runs/metric_history.hpp"
#include "runs/results_root.hpp"

namespace ailab::runs {

struct MetricsQuery {
    std::vector<std::string> keys;  // empty: every metric
    XAxis axis = XAxis::step;
    std::size_t max_points = 2000;
};

enum class ExportFormat { csv, jsonl };

// Which records of which run to replay: the part the index has read (so memory and disk agree), or
// the whole file when it has not been read yet.
struct ReplaySource {
    const ResultsRoot* root = nullptr;
    RunFormat format = RunFormat::ailab;
    std::string run_path;  // below results
    std::string marker;    // the format's marker in the run's folder (the log's name for ailab logs)
    ReadBudget budget;     // a time limit and the server's stop flag
    std::uint64_t end_offset = UINT64_MAX;
    std::uint64_t line_count = 0;  // lines in that part, 0 when unknown
};

using NamedSeries = std::vector<std::pair<std::string, Series>>;

// Min/max-downsampled series of `names` (every metric seen, appended in order of appearance, when
// query.keys is empty) with at most about query.max_points points each. A name never seen gets an
// empty series. Error: the log cannot be read ("cannot read <path>: <reason>").
core::Result<NamedSeries> replay_series(const ReplaySource& source, const MetricsQuery& query,
                                        std::vector<std::string> names);

// Every point of the log. CSV: a header "step,time,epoch,<metrics in order of first appearance>"
// and one row per valid line; JSONL: one {"step","time","epoch","values"} object per line.
core::Result<std::string> export_log(const ReplaySource& source, ExportFormat format);

}  // namespace ailab::runs
