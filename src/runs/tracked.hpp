#pragma once
// What the runs worker tracks: one Run per run folder, and one TrackedFolder per folder that may
// hold runs. Plain records with public fields; the rooms of the worker (watcher, indexer,
// publisher) each use their own fields, all on the worker thread. Which thread may touch which
// field is written next to it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "runs/format.hpp"
#include "runs/log_reader.hpp"
#include "runs/metric_history.hpp"
#include "runs/run_state.hpp"
#include "runs/summary.hpp"

namespace ailab::runs {

// One line's values kept for the next runs.points event.
struct PendingPoint {
    double step;
    double time;
    double epoch;
    std::vector<MetricHistory::Value> values;
};

struct Run {
    // `scope`: the results folder's (Settings::scope), "" for a single folder.
    Run(std::string relative, std::string log, RunFormat format, const std::filesystem::path& results,
        std::size_t history_capacity, std::string_view scope = {});

    // Constant after construction; read by any thread without a lock.
    const std::string id;          // run_id(shown_path)
    const std::string path;        // relative to its results folder: every file access uses this
    const std::string shown_path;  // scoped_path(scope, path): what the API shows as "path"
    const std::string name;
    const std::string group;  // the parent of shown_path

    // Worker thread only (and the cold start before the worker runs).
    std::string folder_path;                  // absolute, for stat() polling only
    std::unique_ptr<RunReader> reader;        // the indexer's, made by the run's format
    bool always_polled = false;               // the format's needs_polling: stat()-polled even when watched
    std::uint64_t format_params_version = 0;  // bumped when format_params change (the params reader's stamp)
    bool ever_read = false;                   // the reader has read this log once
    std::uint64_t points_from_offset = 0;     // lines starting here or later go out as runs.points
    int watch = -1;                           // inotify watch of the run folder (the watcher's)
    bool removed = false;                     // no longer in the run table
    bool urgent = false;                      // queued in the indexer's urgent queue
    bool changed = false;                     // queued in the publisher's changed list
    bool announce = false;                    // queued in the publisher's added list
    bool active = true;                       // polled every poll_interval when not watched
    RunState last_state = RunState::empty;
    std::optional<RunSummary> published;  // what WebSocket clients were last told (or GET /runs at start)
    std::vector<PendingPoint> pending_points;
    bool params_queued = false;      // queued in the params reader's queue
    std::uint64_t params_stamp = 0;  // of the config files when last read (runs/params_reader.hpp)

    // Guards the fields below. The worker writes them under the lock and may read them without it.
    mutable std::mutex mutex;
    std::string log_file;                 // the format's marker (ailab.log, metrics.csv, an event file, ...)
    RunFormat format = RunFormat::ailab;  // changes only with log_file
    LogAccess access = LogAccess::readable;
    bool indexed = false;  // fold and history cover the whole log (else `cold` is shown)
    RunFold fold;          // every line, folded by the worker
    MetricHistory history;
    RunFold cold;  // head and tail lines, from the cold start
    std::vector<std::string> cold_metrics;
    FileIdentity identity;              // of the log when last looked at
    std::uint64_t indexed_offset = 0;   // bytes of complete lines in fold/history
    std::string params = "{}";          // config.json + hparams.yaml flattened, as JSON text
    std::string params_error;           // why a config file could not be read ("" when fine)
    boost::json::object format_params;  // params the format's files carry (TensorBoard hparams)
    std::vector<RunImage> images;       // of the event files, in file order (at most max_run_images)
    bool images_truncated = false;      // more images than max_run_images were found

    // The fold shown: the full one once the log was read whole, else the cold start's.
    // Like everything below, the caller holds `mutex` or is the worker.
    const RunFold& shown_fold() const { return indexed ? fold : cold; }
    // The writer's clock (in the log) is the truth; the file's mtime only stands in when no line has
    // a timestamp (copies and syncs change the mtime, not the training's progress).
    std::optional<double> updated_at() const;
    RunState state(double now, const StateTimes& times) const;
    // Points the format to a (new) marker: a fresh reader, nothing read yet. Worker only; takes the lock.
    void set_format(RunFormat new_format, std::string marker, const std::filesystem::path& results);
};

inline constexpr std::size_t max_run_images = 10000;

using RunPointer = std::shared_ptr<Run>;

// The summary of a run as GET /runs shows it. The caller holds run.mutex or is the worker.
RunSummary make_summary(const Run& run, double now, const StateTimes& times);

// A folder that is not a run, by its relative path ("" = the results folder itself).
struct TrackedFolder {
    int depth = 0;
    std::int64_t mtime_ns = 0;       // when last listed; the poll lists it again when it differs
    int watch = -1;                  // inotify watch (the watcher's)
    std::set<std::string> children;  // names of child folders and runs that are tracked
};
using FolderMap = std::map<std::string, TrackedFolder>;

// Finished runs (done, failed, dead) are polled less often.
bool is_active(RunState state);
double unix_now();
// "a/b/c" -> "c".
std::string name_of(const std::string& path);
// ("a", "b") -> "a/b"; ("", "b") -> "b".
std::string child_path(const std::string& parent, const std::string& name);
// Whether path is ancestor or inside it ("" is the ancestor of every path).
bool is_same_or_below(const std::string& path, const std::string& ancestor);

}  // namespace ailab::runs
