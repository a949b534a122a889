#pragma once
// FolderRuns: the runs of one results folder, and the questions about them. RunService
// (runs/service.hpp) holds one per folder of the config's `results`. It owns the run table and the worker:
// start() runs the cold start (runs/cold_start.hpp), so every run's state is known when it
// returns, then starts the worker (runs/worker.hpp), which watches, indexes and publishes from
// then on. Route handlers (any I/O thread) read snapshots under the table's locks and do their
// own file I/O (detail, replay and export from disk: runs/replay.hpp) without holding any lock.
// Clean-up and restore run as tasks on the worker, so the run table keeps a single writer.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "runs/metric_history.hpp"
#include "runs/replay.hpp"
#include "runs/results_root.hpp"
#include "runs/run_table.hpp"
#include "runs/settings.hpp"
#include "runs/summary.hpp"
#include "runs/trash.hpp"

namespace ailab::net {
class Hub;
}

namespace ailab::runs {

class Worker;

struct RunDetail {
    RunSummary summary;
    std::optional<std::string> config_json;   // config.json's text, when present (≤ 1 MiB)
    std::optional<std::string> hparams_text;  // hparams.yaml's text, when present (≤ 1 MiB)
    std::vector<std::string> files;           // names in the run folder, folders with a trailing '/'
    std::string params_json = "{}";           // both files flattened (runs/params.hpp), as JSON text
    std::string params_error;                 // why a config file could not be read ("" when fine)
};

// The images of a run's event files (GET /runs/{id}/images).
struct RunImages {
    std::vector<RunImage> images;
    bool truncated = false;  // more than max_run_images were found
};
// One image's bytes (GET /runs/{id}/images/{index}).
struct ImageBytes {
    std::string type;
    std::string bytes;
};

// One run's flattened params, as JSON text (GET /runs/params).
struct RunParamsText {
    std::string id;
    std::string params_json;
};

// One run's metrics as last / min / max (GET /runs/values).
struct RunValues {
    std::string id;
    std::vector<std::string> names;
    std::vector<MetricHistory::Totals> totals;  // by index into names
};

struct MetricsResult {
    NamedSeries series;  // in the order asked (unknown keys left out)
    bool from_disk = false;
};

struct ExportedPoints {
    std::string body;
    std::string file_name;  // "<run name>.csv" or ".jsonl"
};

// Which runs a clean-up may move.
enum class CleanupScope {
    only_finished,  // aborted_early runs and runs that are dead, failed or empty
    forced,         // any run
};

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

// The error of a lookup by id that found no run: "no run with id <id>". Routes answer it with 404.
core::Error no_such_run(const std::string& id);
bool is_no_such_run(const core::Error& error);

class FolderRuns {
public:
    // `hub` must outlive the service. settings.scope prefixes the paths and ids of its runs.
    FolderRuns(std::filesystem::path results, const Settings& settings, net::Hub& hub);
    ~FolderRuns();  // stops the worker
    FolderRuns(const FolderRuns&) = delete;
    FolderRuns& operator=(const FolderRuns&) = delete;

    // The cold start (head and tail of every log), then the worker. Returns once every run's state
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
    std::optional<RunImages> images(const std::string& id) const;
    // The run's folder (results / its relative path), for the files feature's run:<id> roots.
    std::optional<std::filesystem::path> folder_of(const std::string& id) const;
    const std::filesystem::path& results() const { return results_; }
    const std::string& scope() const { return settings_.scope; }
    // Read from the event file again, confined to results. Errors: no_such_run, no such image
    // (invalid_argument), the file cannot be read or changed (its bytes are not there any more).
    core::Result<ImageBytes> image(const std::string& id, std::size_t index) const;
    // Every run that has params (from memory: the worker keeps them current).
    std::vector<RunParamsText> all_params() const;
    // Every run's metrics as last / min / max (from memory; exact once a log was read whole).
    std::vector<RunValues> all_values() const;
    // From memory when the history is fine enough, else from disk. Errors: no_such_run, or the log
    // cannot be read.
    core::Result<MetricsResult> metrics(const std::string& id, const MetricsQuery& query) const;
    // Every point of the run. Errors: no_such_run, or the log cannot be read.
    core::Result<ExportedPoints> export_points(const std::string& id, ExportFormat format) const;
    // Moves runs to the trash (the runs scope allows; the others are answered with an error each).
    CleanupResult cleanup(const std::vector<std::string>& ids, CleanupScope scope);
    std::vector<TrashItem> trash() const;
    // `trash_paths` relative to this folder (RunService strips the scope); the result's paths are scoped.
    RestoreResult restore(const std::vector<std::string>& trash_paths);

    // --- For tests and benchmarks. ---
    // Waits until the background full index of the runs found so far is done.
    bool wait_until_indexed(std::chrono::milliseconds timeout) const;
    // Makes the worker stat every folder and log now and handle what changed; returns when done.
    void poll_now();
    // Whether inotify watches cover the whole tree on a local file system.
    bool watching() const;
    // Bytes of metric history held in memory (all runs).
    std::size_t history_bytes() const;

private:
    // A replay or export of one log gets this long before it ends with an error.
    static constexpr std::chrono::seconds replay_time_limit{20};

    ReplaySource replay_source(const Run& run) const;  // the caller holds run.mutex

    const std::filesystem::path results_;
    ResultsRoot root_;                   // every read of a run's files goes through it
    std::atomic<bool> stopping_{false};  // ends replays and exports in flight
    const Settings settings_;
    const StateTimes times_;
    RunTable table_;
    std::unique_ptr<Worker> worker_;  // after table_: stopped and destroyed before the table goes
};

}  // namespace ailab::runs
