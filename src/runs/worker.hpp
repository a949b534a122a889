#pragma once
// The runs worker: one thread that owns all change after the cold start. It ties the rooms
// together, each of which it owns:
//   - the watcher says which folders and logs changed (inotify, stat polling);
//   - the worker lists changed folders (finds new runs, drops gone ones) and keeps the run table;
//   - the indexer reads logs (the changed ones first, then the full index);
//   - the publisher batches what changed into "runs" messages.
// It is the only writer of the run table and of every run's data, so it reads them without locks.
// Other threads hand it work with run_task(); the clean-up and restore of RunService run that way.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/fd.hpp"
#include "runs/cold_start.hpp"
#include "runs/discovery.hpp"
#include "runs/indexer.hpp"
#include "runs/params_reader.hpp"
#include "runs/publisher.hpp"
#include "runs/run_table.hpp"
#include "runs/settings.hpp"
#include "runs/watcher.hpp"

namespace ailab::net {
class Hub;
}

namespace ailab::runs {

class Worker {
public:
    // `table` and `hub` must outlive the worker.
    Worker(std::filesystem::path results, const ResultsRoot& root, const Settings& settings, RunTable& table,
           net::Hub& hub);
    ~Worker();  // stops the thread
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Takes over what the cold start found and starts the thread. Call once.
    void start(ColdStart cold);
    // Stops and joins the thread. Idempotent.
    void stop();

    // Any thread: runs task on the worker thread and waits for it (inline when the thread is not
    // running, since the caller is then the only one touching the worker's state). Exceptions
    // from task reach the caller.
    void run_task(std::function<void()> task);
    // Any thread.
    bool watching() const { return watcher_.watching(); }
    bool wait_until_indexed(std::chrono::milliseconds timeout) const { return indexer_.wait_until_indexed(timeout); }

    // --- For tasks (the worker thread). ---
    // Forgets the run or folder at path and everything below it (runs.removed for each run).
    void remove_subtree(const std::string& path);
    // Lists again the nearest tracked folder above path (a run folder that came back).
    void rescan_above(const std::string& path);
    // Reads every log queued as changed (new runs included) now.
    void read_changed_logs();
    // Hands the runs whose format params changed from the indexer to the params reader.
    void take_format_params();
    // Sends what changed (FlushTiming::when_due keeps the rate limit).
    void flush(FlushTiming timing) { publisher_.flush(timing); }
    // Everything: inotify events, stat() of every folder and log, every change read, then a flush.
    void process_everything();

private:
    enum class Announce { yes, no };  // whether a run found goes out as runs.added

    void main();
    void notify() const;
    void run_tasks();

    // Discovery: the tracked folders and runs.
    void add_found(const ScanResult& found, Announce announce);
    void add_run(const std::string& path, const std::string& log_file, RunFormat format, Announce announce);
    void rescan_folder(const std::string& path);
    void process_dirty_folders();
    // Hands the watcher's report on: folders to list, runs to read, forgotten watches.
    void take_report(WatchReport& report);
    // running -> dead and the like happen with time, without a change on disk.
    void check_states();
    // Whether config files are waiting to be read and the batch has room for their runs.params.
    bool params_ready() const;

    const std::filesystem::path results_;
    const Settings settings_;
    const StateTimes times_;
    RunTable& table_;
    Watcher watcher_;
    Publisher publisher_;
    Indexer indexer_;
    ParamsReader params_reader_;
    ColdReader cold_reader_;  // for runs found after the cold start
    std::size_t history_capacity_ = MetricHistory::default_capacity;

    FolderMap folders_;                    // folders that are not runs, by relative path ("" = root)
    std::set<std::string> dirty_folders_;  // to list again
    bool full_poll_requested_ = false;

    core::OwnedFd wake_;      // an eventfd: run_task() and stop() wake the thread (thread-safe)
    std::mutex tasks_mutex_;  // guards tasks_
    std::vector<std::function<void()>> tasks_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace ailab::runs
