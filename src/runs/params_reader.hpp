#pragma once
// Reads runs' config files (config.json, hparams.yaml) into their flattened params (runs/params.hpp)
// and tells the publisher when they changed (runs.params). Runs are queued when they are found, when
// inotify reports one of the two names in a run folder, or when a poll of an unwatched run sees a
// file's size, mtime or inode change; the worker calls process() each turn, a bounded number of
// runs at a time, so 10,000 runs found at start do not hold up the logs.
//
// Worker thread only, except params_stamp(), a pure function.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "runs/publisher.hpp"
#include "runs/results_root.hpp"
#include "runs/tracked.hpp"

namespace ailab::runs {

// Whether a file name in a run folder is one the params come from.
bool is_params_file(std::string_view name);

// A stamp of the two config files under an absolute run folder (size, mtime, inode, or absence):
// equal stamps mean nothing to read again.
std::uint64_t params_stamp(const std::string& run_folder);

class ParamsReader {
public:
    // `root` and `publisher` must outlive the reader.
    ParamsReader(const ResultsRoot& root, Publisher& publisher, std::string results);

    // Queues a run whose config files may have changed (once, however often it is called).
    void mark(const RunPointer& run);
    bool busy() const { return !queue_.empty(); }
    // Reads the config files of up to max_runs queued runs.
    void process(std::size_t max_runs);
    // Reads one run's config files now (also from the cold start's thread, before the worker runs).
    void read(Run& run, Publisher* publisher);

private:
    const ResultsRoot& root_;
    Publisher& publisher_;
    std::string results_;
    std::deque<RunPointer> queue_;
};

}  // namespace ailab::runs
