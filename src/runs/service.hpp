#pragma once
// RunService: discovers runs under the results folder, reads their logs incrementally, keeps each
// run's summary and bounded metric history, and publishes changes on the WebSocket topic "runs".
//
// Threads:
//   - start() scans the tree and reads only the head and tail of every log (the cold start), so
//     every run's state is known when it returns;
//   - then one worker thread owns everything that changes: it indexes the full logs in the
//     background (in slices, so live changes are never starved), watches with inotify where it can,
//     polls with stat() where it must (network shares), reads appended bytes, and publishes;
//   - route handlers (any I/O thread) read snapshots under the locks and do their own file I/O
//     (detail, full-resolution series, export) without holding any lock.
// The worker is the only writer of the run table and of every run's guarded fields, so it reads
// them without locking; everyone else locks (see Run in service.cpp).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/config.hpp"
#include "runs/metric_history.hpp"
#include "runs/summary.hpp"
#include "runs/trash.hpp"

namespace ailab::net {
class Hub;
}

namespace ailab::runs {

struct RunDetail {
    RunSummary summary;
    std::optional<std::string> config_json;   // config.json's text, when present (≤ 1 MiB)
    std::optional<std::string> hparams_text;  // hparams.yaml's text, when present (≤ 1 MiB)
    std::vector<std::string> files;           // names in the run folder, folders with a trailing '/'
};

struct MetricsQuery {
    std::vector<std::string> keys;  // empty: every metric
    XAxis axis = XAxis::step;
    std::size_t max_points = 2000;
};

struct MetricsResult {
    std::vector<std::pair<std::string, Series>> series;  // in the order asked (unknown keys left out)
    bool from_disk = false;
};

enum class ExportFormat { csv, jsonl };

struct CleanupResult {
    struct Moved {
        std::string id, path, trash_path;
    };
    struct Failed {
        std::string id, error;
    };
    std::vector<Moved> moved;
    std::vector<Failed> errors;
};

struct RestoreResult {
    struct Restored {
        std::string trash_path, path, id;
    };
    struct Failed {
        std::string trash_path, error;
    };
    std::vector<Restored> restored;
    std::vector<Failed> errors;
};

class RunService {
public:
    // Uses config.results, dead_after_minutes, discovery_depth and poll_interval. `config` and `hub`
    // must outlive the service.
    RunService(const core::Config& config, net::Hub& hub);
    ~RunService();  // stops the worker
    RunService(const RunService&) = delete;
    RunService& operator=(const RunService&) = delete;

    // Cold scan (head and tail of every log), then starts the worker. Returns once every run's state
    // is known. Call once.
    void start();
    // Stops and joins the worker. Idempotent.
    void stop();

    // Number of runs per state, every state present ({"running":3,"done":0,...}). Thread-safe.
    std::map<std::string, std::size_t> count_by_state() const;

    // --- For the routes; thread-safe. ---
    std::vector<RunSummary> list() const;  // sorted by path
    std::optional<RunSummary> summary(const std::string& id) const;
    std::optional<RunDetail> detail(const std::string& id) const;
    // nullopt: no such run. Throws std::runtime_error when the log cannot be read from disk.
    std::optional<MetricsResult> metrics(const std::string& id, const MetricsQuery& query) const;
    // Writes every point; false: no such run. Throws std::runtime_error on a read error.
    bool export_points(const std::string& id, ExportFormat format, std::string& out, std::string& file_name) const;
    // Moves runs to the trash. Only aborted_early runs and runs that are dead, failed or empty may go,
    // unless force.
    CleanupResult cleanup(const std::vector<std::string>& ids, bool force);
    std::vector<TrashItem> trash() const;
    RestoreResult restore(const std::vector<std::string>& trash_paths);

    // --- For tests and benchmarks. ---
    // Waits until the background full index of the runs found so far is done.
    bool wait_until_indexed(std::chrono::milliseconds timeout) const;
    // Makes the worker stat every folder and log now and handle what changed; returns when done.
    void poll_now();
    // Whether inotify watches cover the whole tree on a local file system.
    bool watching() const { return watching_.load(); }
    // Bytes of metric history held in memory (all runs).
    std::size_t history_bytes() const;

    struct Run;     // one run (service.cpp)
    struct Worker;  // the worker's own state (service.cpp)

private:
    using Clock = std::chrono::steady_clock;

    std::shared_ptr<Run> find(const std::string& id) const;
    RunSummary make_summary(const Run& run, double now) const;  // caller holds run.mutex or is the worker
    // Runs task on the worker thread and waits (inline when the worker is not running).
    void run_on_worker(std::function<void()> task);

    const core::Config& config_;
    net::Hub& hub_;
    std::filesystem::path results_;
    std::chrono::seconds dead_after_;

    // Guards the run table (both maps). The worker thread is the only writer (and reads without
    // the lock); readers take it shared, then lock the run they look at.
    mutable std::shared_mutex table_mutex_;
    std::map<std::string, std::shared_ptr<Run>> runs_by_path_;
    std::unordered_map<std::string, std::shared_ptr<Run>> runs_by_id_;

    // Buckets of metric history per run, set by start() from the number of runs (see service.cpp).
    std::size_t history_capacity_ = MetricHistory::default_capacity;

    std::unique_ptr<Worker> worker_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> watching_{false};

    // Guards indexed_ (set by the worker when its backlog empties), for wait_until_indexed().
    mutable std::mutex index_mutex_;
    mutable std::condition_variable index_done_;
    bool indexed_ = false;

    friend struct Worker;
};

}  // namespace ailab::runs
