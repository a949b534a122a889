#include "runs/service.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <future>
#include <set>
#include <stdexcept>

#include "net/hub.hpp"
#include "runs/discovery.hpp"
#include "runs/line_parser.hpp"
#include "runs/log_reader.hpp"

namespace ailab::runs {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view topic = "runs";
// The worker reads at most this much of one log before it looks at other work again.
constexpr std::size_t slice_bytes = std::size_t{8} << 20;
// WebSocket batching: a batch goes out when its first change is 100 ms old at the latest, and
// batches are at least this far apart. A batch is one WebSocket message (a lone event as itself,
// several as {"type":"runs.batch","events":[...]}), so a client gets at most 10 a second.
constexpr auto batch_window = 100ms;
// Points kept per run per batch for runs.points (a client that needs more re-fetches /metrics).
constexpr std::size_t max_pending_points = 1000;
// The cold start parses this many lines at the end of each log.
constexpr std::size_t cold_tail_lines = 8;
constexpr std::size_t cold_tail_window = 4096;
constexpr std::size_t max_side_file_bytes = std::size_t{1} << 20;
// Metric history of all runs together stays near this: each run gets a bucket capacity (a power of
// two, 16..512) from the number of runs found at start, at about 100 bytes per bucket.
constexpr std::size_t history_budget_bytes = std::size_t{128} << 20;
constexpr std::size_t history_bytes_per_bucket = 100;

std::size_t history_capacity_for(std::size_t runs) {
    std::size_t per_run = history_budget_bytes / std::max<std::size_t>(runs, 1) / history_bytes_per_bucket;
    std::size_t capacity = MetricHistory::default_capacity;
    while (capacity > 16 && capacity > per_run) capacity /= 2;
    return capacity;
}

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

std::string name_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string child_path(const std::string& parent, const std::string& name) {
    return parent.empty() ? name : parent + "/" + name;
}

bool is_same_or_below(const std::string& path, const std::string& ancestor) {
    if (ancestor.empty()) return true;
    return path == ancestor ||
           (path.size() > ancestor.size() && path.starts_with(ancestor) && path[ancestor.size()] == '/');
}

// File systems where inotify does not see changes made by other machines.
bool is_network_file_system(const fs::path& path) {
    struct statfs info {};
    if (::statfs(path.c_str(), &info) != 0) return false;
    switch (static_cast<unsigned long>(info.f_type)) {
    case 0x6969:      // NFS
    case 0x517B:      // SMB
    case 0xFF534D42:  // CIFS
    case 0xFE534D42:  // SMB2
    case 0x65735546:  // FUSE (sshfs, s3fs, ...)
    case 0x00C36400:  // Ceph
    case 0x73757245:  // Coda
    case 0x5346414F:  // AFS
    case 0x01021997:  // 9p
    case 0x564C:      // NCP
    case 0x0BD00BD0:  // Lustre
    case 0x47504653:  // GPFS
    case 0x01161970:  // GFS2
    case 0x7461636F:  // OCFS2
        return true;
    default: return false;
    }
}

bool is_active(RunState state) {
    return state != RunState::done && state != RunState::failed && state != RunState::dead;
}

std::optional<std::string> read_small_file(const std::string& path) {
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd) return std::nullopt;
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0 || !S_ISREG(status.st_mode)) return std::nullopt;
    std::string text(static_cast<std::size_t>(std::min<off_t>(status.st_size, max_side_file_bytes)), '\0');
    ssize_t done = read_at(fd.get(), text.data(), text.size(), 0);
    if (done < 0) return std::nullopt;
    text.resize(static_cast<std::size_t>(done));
    return text;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
struct PendingPoint {
    double step;
    double time;
    double epoch;
    std::vector<MetricHistory::Value> values;
};

struct RunService::Run {
    Run(std::string relative, std::string log, const fs::path& results, std::size_t history_capacity)
        : id(run_id(relative)),
          path(std::move(relative)),
          name(name_of(path)),
          group(parent_path(path)),
          log_path(join_path(results, path + "/" + log)),
          log_file(std::move(log)),
          history(history_capacity) {}

    // Constant after construction; read by any thread without a lock.
    const std::string id;
    const std::string path;
    const std::string name;
    const std::string group;

    // Worker thread only (and start() before the worker runs).
    std::string log_path;
    LogReader reader;
    bool ever_read = false;                // the reader has read this log once
    std::uint64_t points_from_offset = 0;  // lines starting here or later go out as runs.points
    int watch = -1;                        // inotify watch of the run folder
    bool removed = false;
    bool urgent = false;    // queued in Worker::urgent
    bool changed = false;   // queued in Worker::changed
    bool announce = false;  // queued in Worker::added
    bool active = true;     // polled every poll_interval when not watched
    RunState last_state = RunState::empty;
    std::optional<RunSummary> published;  // what WebSocket clients were last told (or GET /runs at start)
    std::vector<PendingPoint> pending_points;

    // Guards the fields below. The worker writes them under the lock and may read them without it.
    mutable std::mutex mutex;
    std::string log_file;
    LogAccess access = LogAccess::readable;
    bool indexed = false;  // fold and history cover the whole log (else `cold` is shown)
    RunFold fold;          // every line, folded by the worker
    MetricHistory history;
    RunFold cold;  // head and tail lines, from the cold start
    std::vector<std::string> cold_metrics;
    FileIdentity identity;             // of the log when last looked at
    std::uint64_t indexed_offset = 0;  // bytes of complete lines in fold/history

    // The fold shown: the full one once the log was read whole, else the cold start's.
    // Like everything below, the caller holds `mutex` or is the worker.
    const RunFold& shown_fold() const { return indexed ? fold : cold; }
    // The writer's clock (in the log) is the truth; the file's mtime only stands in when no line has
    // a timestamp (copies and syncs change the mtime, not the training's progress).
    std::optional<double> updated_at() const {
        if (auto last = shown_fold().last_timestamp()) return last;
        if (identity.size >= 0) return static_cast<double>(identity.mtime_ns) * 1e-9;
        return std::nullopt;
    }
    RunState state(double now, std::chrono::seconds dead_after) const {
        const RunFold& shown = shown_fold();
        return compute_state(StateInputs{access, shown.lines(), &shown.meaningful(), updated_at()}, now, dead_after);
    }
};

// ------------------------------------------------------------------------------------------------
namespace {

using Run = RunService::Run;

// Lines of the cold start: the last complete lines of a window and the first line of the file.
void fold_cold_lines(std::string_view window, bool starts_at_file_start, LineParser& parser, Run& run) {
    // Find the starts of the last complete lines.
    auto end = window.rfind('\n');
    if (end == std::string_view::npos) return;
    std::vector<std::string_view> lines;
    std::size_t line_end = end;
    while (lines.size() < cold_tail_lines) {
        auto previous = line_end == 0 ? std::string_view::npos : window.rfind('\n', line_end - 1);
        std::size_t start = previous == std::string_view::npos ? 0 : previous + 1;
        if (previous == std::string_view::npos && !starts_at_file_start) break;  // a partial first line
        lines.push_back(window.substr(start, line_end - start));
        if (previous == std::string_view::npos) break;
        line_end = previous;
    }
    ParsedLine parsed;
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        // The window buffer has line_padding bytes after it, so parse in place.
        auto error = parser.parse_padded(*it, parsed);
        if (error == LineError::blank) continue;
        if (error != LineError::none) {
            run.cold.add_bad_line();
            continue;
        }
        run.cold.add(parsed);
        for (const auto& metric : parsed.metrics) {
            if (std::find(run.cold_metrics.begin(), run.cold_metrics.end(), metric.name) == run.cold_metrics.end())
                run.cold_metrics.emplace_back(metric.name);
        }
    }
}

std::optional<double> first_timestamp(std::string_view head, LineParser& parser) {
    ParsedLine parsed;
    std::size_t start = 0;
    for (int tries = 0; tries < 4; ++tries) {
        auto newline = head.find('\n', start);
        if (newline == std::string_view::npos) return std::nullopt;
        if (parser.parse_padded(head.substr(start, newline - start), parsed) == LineError::none &&
            present(parsed.timestamp))
            return parsed.timestamp;
        start = newline + 1;
    }
    return std::nullopt;
}

// The cold start of one run: reads the log's first line (started_at) and last lines (the state),
// a few KB whatever the log's size. Touches only fields nobody else can see yet.
void cold_read(Run& run, LineParser& parser, std::vector<char>& buffer) {
    FileDescriptor fd(::open(run.log_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) {
        run.access = (errno == ENOENT || errno == ENOTDIR) ? LogAccess::vanished : LogAccess::unreadable;
        return;
    }
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
        run.access = LogAccess::unreadable;
        return;
    }
    run.identity = identity_of(status);
    run.access = LogAccess::readable;
    auto size = static_cast<std::uint64_t>(status.st_size);
    if (size == 0) return;
    std::size_t window = cold_tail_window;
    while (true) {
        auto length = static_cast<std::size_t>(std::min<std::uint64_t>(size, window));
        std::uint64_t start = size - length;
        buffer.resize(length + line_padding);
        ssize_t n = read_at(fd.get(), buffer.data(), length, start);
        if (n < 0) {
            run.access = LogAccess::unreadable;
            return;
        }
        std::fill(buffer.begin() + n, buffer.end(), '\0');
        run.cold.reset();
        run.cold_metrics.clear();
        fold_cold_lines(std::string_view(buffer.data(), static_cast<std::size_t>(n)), start == 0, parser, run);
        if (start == 0) {
            run.cold.set_started_at(
                first_timestamp(std::string_view(buffer.data(), static_cast<std::size_t>(n)), parser));
            return;
        }
        if (run.cold.lines() > 0 || window >= 4 * max_line_bytes) break;
        window *= 8;
    }
    // started_at from the head of a longer file.
    buffer.resize(cold_tail_window + line_padding);
    ssize_t n = read_at(fd.get(), buffer.data(), cold_tail_window, 0);
    if (n > 0) {
        std::fill(buffer.begin() + n, buffer.end(), '\0');
        run.cold.set_started_at(first_timestamp(std::string_view(buffer.data(), static_cast<std::size_t>(n)), parser));
    }
}

// Folds the lines LogReader hands over into a run's fold and history (the worker's hot path).
// Holds the run's lock for one buffer-full of lines at a time, never during I/O.
class RunIndexer final : public LineSink {
public:
    RunIndexer(Run& run, LineParser& parser, bool collect_points)
        : run_(run), parser_(parser), collect_points_(collect_points) {}

    void reset() override {
        std::lock_guard lock(run_.mutex);
        bool was_read = run_.ever_read;
        run_.fold.reset();
        run_.history.clear();
        run_.indexed = false;
        run_.indexed_offset = 0;
        run_.pending_points.clear();
        if (was_read) {
            // Replaced or truncated: what follows is new to every client.
            run_.cold.reset();
            run_.cold_metrics.clear();
            run_.points_from_offset = 0;
        }
        run_.ever_read = true;
    }
    void begin_batch() override { lock_ = std::unique_lock(run_.mutex); }
    void end_batch() override { lock_.unlock(); }

    void line(std::string_view text, std::uint64_t offset) override {
        auto error = parser_.parse_padded(text, parsed_);
        if (error == LineError::blank) return;
        ++lines_;
        if (error != LineError::none) {
            run_.fold.add_bad_line();
            return;
        }
        LineX x = run_.fold.add(parsed_);
        values_.clear();
        for (const auto& metric : parsed_.metrics)
            values_.push_back(MetricHistory::Value{run_.history.metric_index(metric.name), metric.value});
        run_.history.add_line(offset, x, values_);
        if (collect_points_ && offset >= run_.points_from_offset && run_.pending_points.size() < max_pending_points)
            run_.pending_points.push_back(PendingPoint{x.step, x.time, x.epoch, values_});
    }
    void long_line() override {
        ++lines_;
        run_.fold.add_bad_line();
    }

    std::uint64_t lines() const { return lines_; }

private:
    Run& run_;
    LineParser& parser_;
    bool collect_points_;
    std::unique_lock<std::mutex> lock_;
    ParsedLine parsed_;
    std::vector<MetricHistory::Value> values_;
    std::uint64_t lines_ = 0;
};

}  // namespace

// ------------------------------------------------------------------------------------------------
// The worker's own state. Every member is touched by the worker thread only, except `tasks`
// (guarded by tasks_mutex) and `wake` (an eventfd, thread-safe).
struct RunService::Worker {
    explicit Worker(RunService& owner)
        : service(owner),
          inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)),
          wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

    struct Folder {
        int depth = 0;
        std::int64_t mtime_ns = 0;
        int watch = -1;
        std::set<std::string> children;  // names of child folders and runs we track
    };
    struct WatchTarget {
        std::string path;
        bool is_run = false;
    };

    RunService& service;
    LineParser parser;
    ReadBuffer buffer;
    std::vector<char> cold_buffer;
    FileDescriptor inotify;
    FileDescriptor wake;
    bool network_file_system = false;
    bool watch_limit_reached = false;

    std::map<std::string, Folder> folders;  // folders that are not runs, by relative path ("" = root)
    std::unordered_map<int, WatchTarget> watches;

    std::deque<std::shared_ptr<Run>> urgent;   // changed logs and new runs: read first
    std::deque<std::shared_ptr<Run>> backlog;  // the initial full index
    std::set<std::string> dirty_folders;
    bool full_poll_requested = false;
    bool index_reported = false;  // the end of the initial backlog was announced

    std::vector<std::shared_ptr<Run>> added;
    std::vector<std::shared_ptr<Run>> changed;
    std::vector<std::string> removed;
    Clock::time_point last_flush{};
    Clock::time_point next_fast_poll{};
    Clock::time_point next_full_poll{};
    Clock::time_point next_state_check{};

    std::mutex tasks_mutex;  // guards tasks
    std::vector<std::function<void()>> tasks;

    void main();
    void notify() const {
        std::uint64_t one = 1;
        [[maybe_unused]] auto written = ::write(wake.get(), &one, sizeof one);
    }

    // Discovery and watching.
    void add_found(const ScanResult& found, bool announce);
    std::shared_ptr<Run> add_run(const std::string& path, const std::string& log_file, bool announce);
    void remove_subtree(const std::string& path);
    void rescan_folder(const std::string& path);
    int add_watch(const std::string& relative, bool is_run);
    void remove_watch(int& watch);
    void handle_inotify();
    void poll_stats(bool everything);

    // Reading.
    void mark_urgent(const std::shared_ptr<Run>& run);
    void mark_changed(const std::shared_ptr<Run>& run);
    // Reads what is new in a run's log, at most slice_bytes; returns true when there is more.
    bool read_run(const std::shared_ptr<Run>& run);
    void process_dirty_folders();
    void process_urgent(bool until_empty);
    void process_backlog();
    void check_states();
    void flush(bool force);
    void run_tasks();
    void process_everything();  // poll_now(): until nothing is left to do

    std::shared_ptr<Run> run_at(const std::string& path) const {
        auto it = service.runs_by_path_.find(path);
        return it == service.runs_by_path_.end() ? nullptr : it->second;
    }
};

// ------------------------------------------------------------------------------------------------
RunService::RunService(const core::Config& config, net::Hub& hub)
    : config_(config),
      hub_(hub),
      results_(config.results),
      dead_after_(std::chrono::minutes(std::max(config.dead_after_minutes, 0))),
      worker_(std::make_unique<Worker>(*this)) {}

RunService::~RunService() { stop(); }

void RunService::start() {
    auto& worker = *worker_;
    auto started = Clock::now();
    unsigned threads = std::min(2u, std::max(1u, std::thread::hardware_concurrency()));
    ScanResult found = scan_whole_tree(results_, std::max(config_.discovery_depth, 1), threads);
    if (found.folders.empty() || !found.folders.front().path.empty()) {
        spdlog::warn("runs: results folder {} cannot be read; watching for it", results_.string());
        found.folders.insert(found.folders.begin(), FoundFolder{"", 0, 0});
    }
    worker.network_file_system = is_network_file_system(results_);
    auto scanned = Clock::now();

    // Create the runs and read their heads and tails, on two threads when there are many.
    history_capacity_ = history_capacity_for(found.runs.size());
    std::vector<std::shared_ptr<Run>> runs;
    runs.reserve(found.runs.size());
    for (const auto& found_run : found.runs)
        runs.push_back(std::make_shared<Run>(found_run.path, found_run.log_file, results_, history_capacity_));
    auto cold_range = [&runs](std::size_t begin, std::size_t end) {
        LineParser parser;
        std::vector<char> buffer;
        for (std::size_t i = begin; i < end; ++i) cold_read(*runs[i], parser, buffer);
    };
    if (runs.size() >= 256 && threads > 1) {
        std::size_t half = runs.size() / 2;
        std::thread helper(cold_range, half, runs.size());
        cold_range(0, half);
        helper.join();
    } else {
        cold_range(0, runs.size());
    }

    auto read = Clock::now();
    double now = unix_now();
    {
        std::unique_lock lock(table_mutex_);
        for (const auto& run : runs) {
            runs_by_path_.emplace(run->path, run);
            runs_by_id_.emplace(run->id, run);
        }
    }
    for (const auto& folder : found.folders)
        worker.folders[folder.path] = Worker::Folder{folder.depth, folder.mtime_ns, -1, {}};
    for (const auto& folder : found.folders) {
        if (!folder.path.empty()) worker.folders[parent_path(folder.path)].children.insert(name_of(folder.path));
    }
    // Most recently updated first, so live runs get their full index first.
    std::vector<std::pair<double, std::shared_ptr<Run>>> order;
    order.reserve(runs.size());
    for (const auto& run : runs) {
        worker.folders[run->group].children.insert(run->name);
        run->points_from_offset = static_cast<std::uint64_t>(std::max<std::int64_t>(run->identity.size, 0));
        auto summary = make_summary(*run, now);
        run->last_state = summary.state;
        run->active = is_active(summary.state);
        order.emplace_back(summary.updated_at.value_or(0), run);
        // The baseline of "changed fields only": what GET /runs says now.
        run->published = std::move(summary);
    }
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (auto& [time, run] : order) worker.backlog.push_back(std::move(run));
    if (worker.backlog.empty()) {
        std::lock_guard lock(index_mutex_);
        indexed_ = true;
    }
    auto milliseconds = [](Clock::duration duration) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
    };
    spdlog::info(
        "runs: {} runs in {} folders under {}, states known after {} ms (finding {} ms, heads and tails {} ms)",
        runs.size(), found.folders.size(), results_.string(), milliseconds(Clock::now() - started),
        milliseconds(scanned - started), milliseconds(read - scanned));
    stopping_ = false;
    thread_ = std::thread([this] { worker_->main(); });
}

void RunService::stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    worker_->notify();
    thread_.join();
}

RunSummary RunService::make_summary(const Run& run, double now) const {
    RunSummary summary;
    summary.id = run.id;
    summary.name = run.name;
    summary.path = run.path;
    summary.group = run.group;
    summary.log_file = run.log_file;
    const RunFold& fold = run.shown_fold();
    const Snapshot& snapshot = fold.meaningful();
    summary.state = run.state(now, dead_after_);
    summary.phase = snapshot.phase;
    summary.epoch = snapshot.epoch;
    summary.epochs = snapshot.epochs;
    summary.progress = snapshot.progress;
    summary.eta = snapshot.eta;
    summary.score = snapshot.score;
    summary.started_at = fold.started_at();
    summary.updated_at = run.updated_at();
    summary.aborted_early = is_aborted_early(summary.state, snapshot);
    summary.metrics = run.indexed ? run.history.metric_names() : run.cold_metrics;
    if (run.indexed) summary.lines = fold.lines();
    summary.bad_lines = fold.bad_lines();
    return summary;
}

std::shared_ptr<Run> RunService::find(const std::string& id) const {
    std::shared_lock lock(table_mutex_);
    auto it = runs_by_id_.find(id);
    return it == runs_by_id_.end() ? nullptr : it->second;
}

void RunService::run_on_worker(std::function<void()> task) {
    if (!thread_.joinable()) {
        task();  // no worker thread: this thread is the only one touching the worker's state
        return;
    }
    auto promise = std::make_shared<std::promise<void>>();
    auto future = promise->get_future();
    {
        std::lock_guard lock(worker_->tasks_mutex);
        worker_->tasks.push_back([task = std::move(task), promise] {
            try {
                task();
                promise->set_value();
            } catch (...) {
                promise->set_exception(std::current_exception());
            }
        });
    }
    worker_->notify();
    future.get();
}

// ------------------------------------------------------------------------------------------------
std::map<std::string, std::size_t> RunService::count_by_state() const {
    std::map<std::string, std::size_t> counts;
    for (auto state : all_run_states) counts[std::string(state_name(state))] = 0;
    double now = unix_now();
    std::shared_lock lock(table_mutex_);
    for (const auto& [path, run] : runs_by_path_) {
        std::lock_guard run_lock(run->mutex);
        ++counts[std::string(state_name(run->state(now, dead_after_)))];
    }
    return counts;
}

std::vector<RunSummary> RunService::list() const {
    std::vector<RunSummary> summaries;
    double now = unix_now();
    std::shared_lock lock(table_mutex_);
    summaries.reserve(runs_by_path_.size());
    for (const auto& [path, run] : runs_by_path_) {
        std::lock_guard run_lock(run->mutex);
        summaries.push_back(make_summary(*run, now));
    }
    return summaries;
}

std::optional<RunSummary> RunService::summary(const std::string& id) const {
    auto run = find(id);
    if (!run) return std::nullopt;
    std::lock_guard lock(run->mutex);
    return make_summary(*run, unix_now());
}

std::optional<RunDetail> RunService::detail(const std::string& id) const {
    auto run = find(id);
    if (!run) return std::nullopt;
    RunDetail detail;
    {
        std::lock_guard lock(run->mutex);
        detail.summary = make_summary(*run, unix_now());
    }
    // File I/O without any lock.
    std::string folder = join_path(results_, run->path);
    detail.config_json = read_small_file(folder + "/config.json");
    detail.hparams_text = read_small_file(folder + "/hparams.yaml");
    std::error_code error;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        auto name = it->path().filename().string();
        std::error_code type_error;
        if (it->is_directory(type_error)) name += '/';
        detail.files.push_back(std::move(name));
        if (detail.files.size() >= 1000) break;
    }
    std::sort(detail.files.begin(), detail.files.end());
    return detail;
}

std::size_t RunService::history_bytes() const {
    std::size_t bytes = 0;
    std::shared_lock lock(table_mutex_);
    for (const auto& [path, run] : runs_by_path_) {
        std::lock_guard run_lock(run->mutex);
        bytes += run->history.memory_bytes();
    }
    return bytes;
}

bool RunService::wait_until_indexed(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(index_mutex_);
    return index_done_.wait_for(lock, timeout, [this] { return indexed_; });
}

void RunService::poll_now() {
    run_on_worker([this] { worker_->process_everything(); });
}

// ------------------------------------------------------------------------------------------------
// Reading series and points from disk (route threads, no lock held).
namespace {

// Reads every line of a log again, with the same fold as the indexer, and hands each valid line's
// x values and metrics to `visit`.
template <typename Visit>
class ReplaySink final : public LineSink {
public:
    ReplaySink(LineParser& parser, Visit visit) : parser_(parser), visit_(std::move(visit)) {}
    void reset() override { fold_.reset(); }
    void line(std::string_view text, std::uint64_t) override {
        if (parser_.parse_padded(text, parsed_) != LineError::none) return;
        LineX x = fold_.add(parsed_);
        visit_(x, parsed_, fold_.lines() - 1);
    }
    void long_line() override {}

private:
    LineParser& parser_;
    Visit visit_;
    RunFold fold_;
    ParsedLine parsed_;
};

struct ThreadReader {
    LineParser parser;
    ReadBuffer buffer;
};
ThreadReader& thread_reader() {
    thread_local ThreadReader reader;
    return reader;
}

// Min/max downsampling while streaming lines: lines are grouped by number, group_size per group.
class StreamingSeries {
public:
    explicit StreamingSeries(std::uint64_t group_size) : group_size_(std::max<std::uint64_t>(group_size, 1)) {}
    void add(std::uint64_t line, double x, double y) {
        std::uint64_t group = line / group_size_;
        if (has_current_ && group != current_group_) emit();
        if (!has_current_) {
            current_ = Aggregate{y, y, x, x, true};
            current_group_ = group;
            has_current_ = true;
            return;
        }
        if (y < current_.minimum) {
            current_.minimum = y;
            current_.x_of_minimum = x;
            current_.minimum_first = false;
        } else if (y > current_.maximum) {
            current_.maximum = y;
            current_.x_of_maximum = x;
            current_.minimum_first = true;
        }
    }
    Series finish() {
        if (has_current_) emit();
        return std::move(series_);
    }

private:
    void emit() {
        Aggregate one[] = {current_};
        auto points = downsample(one, 2);
        series_.x.insert(series_.x.end(), points.x.begin(), points.x.end());
        series_.y.insert(series_.y.end(), points.y.begin(), points.y.end());
        has_current_ = false;
    }
    std::uint64_t group_size_;
    bool has_current_ = false;
    std::uint64_t current_group_ = 0;
    Aggregate current_{};
    Series series_;
};

}  // namespace

std::optional<MetricsResult> RunService::metrics(const std::string& id, const MetricsQuery& query) const {
    auto run = find(id);
    if (!run) return std::nullopt;
    MetricsResult result;
    std::vector<std::string> keys = query.keys;
    std::string log_path;
    std::uint64_t end_offset = UINT64_MAX;
    std::uint64_t line_count = 0;
    bool need_disk = false;
    {
        std::lock_guard lock(run->mutex);
        log_path = join_path(results_, run->path + "/" + run->log_file);
        if (!run->indexed) {
            need_disk = true;
        } else {
            end_offset = run->indexed_offset;
            line_count = run->history.line_count();
            if (keys.empty()) keys = run->history.metric_names();
            for (const auto& key : keys) {
                auto metric = run->history.find_metric(key);
                if (!metric) continue;
                auto series = run->history.series(*metric, query.axis, query.max_points);
                if (!series) {
                    need_disk = true;
                    break;
                }
                result.series.emplace_back(key, std::move(*series));
            }
        }
    }
    if (!need_disk) return result;

    // Not enough resolution in memory: read the log again (no lock held).
    result.series.clear();
    result.from_disk = true;
    std::uint64_t groups = std::max<std::size_t>(1, query.max_points / 2);
    // Exact when every line fits; else line_count / groups lines per group (unknown before the
    // index: collect exactly, then downsample).
    bool known_count = line_count > 0;
    std::uint64_t group_size = known_count && line_count > query.max_points ? (line_count + groups - 1) / groups : 1;
    std::vector<std::string> names = keys;  // grows with new metrics when every metric is asked for
    bool all_metrics = query.keys.empty();
    std::vector<StreamingSeries> streams(names.size(), StreamingSeries(group_size));
    std::vector<std::vector<Aggregate>> collected(known_count ? 0 : names.size());
    auto& reader = thread_reader();
    auto visit = [&](const LineX& x, const ParsedLine& line, std::uint64_t line_number) {
        double x_value = x.get(query.axis);
        if (std::isnan(x_value)) return;
        for (const auto& metric : line.metrics) {
            auto it = std::find(names.begin(), names.end(), metric.name);
            if (it == names.end()) {
                if (!all_metrics) continue;
                names.emplace_back(metric.name);
                streams.emplace_back(group_size);
                if (!known_count) collected.emplace_back();
                it = names.end() - 1;
            }
            auto index = static_cast<std::size_t>(it - names.begin());
            if (known_count)
                streams[index].add(line_number, x_value, metric.value);
            else
                collected[index].push_back(Aggregate{metric.value, metric.value, x_value, x_value, true});
        }
    };
    ReplaySink sink(reader.parser, visit);
    std::string error;
    if (!read_lines(log_path, end_offset, reader.buffer, sink, error))
        throw std::runtime_error("cannot read " + log_path + ": " + error);
    for (std::size_t i = 0; i < names.size(); ++i) {
        Series series = known_count ? streams[i].finish() : downsample(collected[i], query.max_points);
        if (series.x.empty() && !all_metrics) {
            // Asked for but never seen: leave it out, like unknown keys in memory.
            bool known = false;
            {
                std::lock_guard lock(run->mutex);
                known = run->history.find_metric(names[i]).has_value();
            }
            if (!known) continue;
        }
        result.series.emplace_back(names[i], std::move(series));
    }
    return result;
}

bool RunService::export_points(const std::string& id, ExportFormat format, std::string& out,
                               std::string& file_name) const {
    auto run = find(id);
    if (!run) return false;
    std::string log_path;
    std::uint64_t end_offset = UINT64_MAX;
    {
        std::lock_guard lock(run->mutex);
        log_path = join_path(results_, run->path + "/" + run->log_file);
        if (run->indexed) end_offset = run->indexed_offset;
    }
    file_name = run->name + (format == ExportFormat::csv ? ".csv" : ".jsonl");
    auto& reader = thread_reader();
    std::vector<std::string> names;
    std::vector<MetricHistory::Value> values;
    std::vector<double> row;
    std::string body;
    auto visit = [&](const LineX& x, const ParsedLine& line, std::uint64_t) {
        values.clear();
        for (const auto& metric : line.metrics) {
            auto it = std::find(names.begin(), names.end(), metric.name);
            if (it == names.end()) {
                names.emplace_back(metric.name);
                it = names.end() - 1;
            }
            values.push_back(MetricHistory::Value{static_cast<std::uint32_t>(it - names.begin()), metric.value});
        }
        if (format == ExportFormat::jsonl) {
            core::JsonWriter writer(body);
            write_point(writer, PointValues{x.step, x.time, x.epoch, values}, names);
            body.push_back('\n');
            return;
        }
        // CSV: step,time,epoch,<metrics in order of first appearance>; a metric that first shows up
        // later leaves earlier rows shorter (the header, written last, names every column).
        row.assign(names.size(), absent);
        for (const auto& value : values) row[value.metric] = value.value;
        core::append_number(body, x.step);
        body.push_back(',');
        core::append_number(body, x.time);
        body.push_back(',');
        core::append_number(body, x.epoch);
        for (double value : row) {
            body.push_back(',');
            core::append_number(body, value);
        }
        body.push_back('\n');
    };
    ReplaySink sink(reader.parser, visit);
    std::string error;
    if (!read_lines(log_path, end_offset, reader.buffer, sink, error))
        throw std::runtime_error("cannot read " + log_path + ": " + error);
    if (format == ExportFormat::csv) {
        out = "step,time,epoch";
        for (const auto& name : names) {
            out.push_back(',');
            bool quote = name.find_first_of(",\"\n\r") != std::string::npos;
            if (!quote) {
                out += name;
                continue;
            }
            out.push_back('"');
            for (char c : name) {
                if (c == '"') out.push_back('"');
                out.push_back(c);
            }
            out.push_back('"');
        }
        out.push_back('\n');
        out += body;
    } else {
        out = std::move(body);
    }
    return true;
}

CleanupResult RunService::cleanup(const std::vector<std::string>& ids, bool force) {
    CleanupResult result;
    run_on_worker([&] {
        double now = unix_now();
        std::string date = local_date(now);
        for (const auto& id : ids) {
            auto it = runs_by_id_.find(id);
            if (it == runs_by_id_.end()) {
                result.errors.push_back({id, "no run with id " + id});
                continue;
            }
            auto run = it->second;
            auto summary = make_summary(*run, now);
            bool allowed = summary.aborted_early || summary.state == RunState::dead ||
                           summary.state == RunState::failed || summary.state == RunState::empty;
            if (!allowed && !force) {
                result.errors.push_back({id, "run " + run->path + " is " + std::string(state_name(summary.state)) +
                                                 "; only dead, failed, empty or aborted runs are cleaned up without "
                                                 "\"force\": true"});
                continue;
            }
            try {
                auto trash_path = move_to_trash(results_, run->path, date);
                spdlog::info("runs: moved {} to {}", run->path, trash_path);
                result.moved.push_back({id, run->path, trash_path});
                worker_->remove_subtree(run->path);
            } catch (const std::exception& error) {
                result.errors.push_back({id, error.what()});
            }
        }
        worker_->flush(false);
    });
    return result;
}

std::vector<TrashItem> RunService::trash() const {
    auto items = list_trash(results_, std::max(config_.discovery_depth, 1));
    std::sort(items.begin(), items.end(),
              [](const TrashItem& a, const TrashItem& b) { return a.moved_at > b.moved_at; });
    return items;
}

RestoreResult RunService::restore(const std::vector<std::string>& trash_paths) {
    RestoreResult result;
    run_on_worker([&] {
        for (const auto& trash_path : trash_paths) {
            try {
                auto path = restore_from_trash(results_, trash_path);
                spdlog::info("runs: restored {} from {}", path, trash_path);
                result.restored.push_back({trash_path, path, run_id(path)});
                // Rescan the nearest folder we know, so the run is listed when this returns.
                std::string folder = parent_path(path);
                while (!folder.empty() && !worker_->folders.contains(folder)) folder = parent_path(folder);
                worker_->rescan_folder(folder);
            } catch (const std::exception& error) {
                result.errors.push_back({trash_path, error.what()});
            }
        }
        worker_->process_urgent(true);
        worker_->flush(false);
    });
    return result;
}

// ------------------------------------------------------------------------------------------------
// The worker.

int RunService::Worker::add_watch(const std::string& relative, bool is_run) {
    if (!inotify || watch_limit_reached) return -1;
    std::uint32_t mask =
        IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
    if (is_run) mask |= IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB;
    std::string path = join_path(service.results_, relative);
    int watch = ::inotify_add_watch(inotify.get(), path.c_str(), mask);
    if (watch < 0) {
        if (errno == ENOSPC) {
            watch_limit_reached = true;
            service.watching_ = false;
            spdlog::warn(
                "runs: inotify watch limit reached (fs.inotify.max_user_watches); the rest is polled every {} ms",
                service.config_.poll_interval.count());
        }
        return -1;
    }
    watches[watch] = WatchTarget{relative, is_run};
    return watch;
}

void RunService::Worker::remove_watch(int& watch) {
    if (watch < 0) return;
    ::inotify_rm_watch(inotify.get(), watch);
    watches.erase(watch);
    watch = -1;
}

std::shared_ptr<Run> RunService::Worker::add_run(const std::string& path, const std::string& log_file, bool announce) {
    auto run = std::make_shared<Run>(path, log_file, service.results_, service.history_capacity_);
    cold_read(*run, parser, cold_buffer);
    run->points_from_offset = static_cast<std::uint64_t>(std::max<std::int64_t>(run->identity.size, 0));
    run->watch = add_watch(path, true);
    {
        std::unique_lock lock(service.table_mutex_);
        service.runs_by_path_[path] = run;
        service.runs_by_id_[run->id] = run;
    }
    auto summary = service.make_summary(*run, unix_now());
    run->last_state = summary.state;
    run->active = is_active(summary.state);
    run->published = std::move(summary);
    if (announce) {
        run->announce = true;
        added.push_back(run);
    }
    mark_urgent(run);
    return run;
}

void RunService::Worker::add_found(const ScanResult& found, bool announce) {
    for (const auto& folder : found.folders) {
        auto& entry = folders[folder.path];
        entry.depth = folder.depth;
        entry.mtime_ns = folder.mtime_ns;
        if (entry.watch < 0) entry.watch = add_watch(folder.path, false);
        if (!folder.path.empty()) folders[parent_path(folder.path)].children.insert(name_of(folder.path));
    }
    for (const auto& found_run : found.runs) {
        if (run_at(found_run.path)) continue;
        add_run(found_run.path, found_run.log_file, announce);
        folders[parent_path(found_run.path)].children.insert(name_of(found_run.path));
    }
}

void RunService::Worker::remove_subtree(const std::string& path) {
    std::vector<std::shared_ptr<Run>> gone;
    {
        auto& table = service.runs_by_path_;
        if (auto it = table.find(path); it != table.end()) gone.push_back(it->second);
        std::string prefix = path.empty() ? "" : path + "/";
        for (auto it = table.lower_bound(prefix); it != table.end() && it->first.starts_with(prefix); ++it) {
            if (it->first != path) gone.push_back(it->second);
        }
    }
    if (!gone.empty()) {
        std::unique_lock lock(service.table_mutex_);
        for (const auto& run : gone) {
            service.runs_by_path_.erase(run->path);
            service.runs_by_id_.erase(run->id);
        }
    }
    for (const auto& run : gone) {
        remove_watch(run->watch);
        run->removed = true;
        if (run->announce) {
            run->announce = false;  // never announced: nothing to take back
            continue;
        }
        removed.push_back(run->id);
    }
    // Folders at and below path (the root itself stays).
    std::string prefix = path.empty() ? "" : path + "/";
    for (auto it = folders.lower_bound(path); it != folders.end() && is_same_or_below(it->first, path);) {
        if (it->first.empty()) {
            it->second.children.clear();
            ++it;
            continue;
        }
        remove_watch(it->second.watch);
        dirty_folders.erase(it->first);
        it = folders.erase(it);
    }
    if (!path.empty()) {
        auto parent = folders.find(parent_path(path));
        if (parent != folders.end()) parent->second.children.erase(name_of(path));
    }
}

void RunService::Worker::rescan_folder(const std::string& path) {
    auto it = folders.find(path);
    if (it == folders.end()) return;
    FolderListing listing = list_folder(join_path(service.results_, path));
    if (!listing.exists) {
        remove_subtree(path);
        if (!path.empty())
            dirty_folders.insert(parent_path(path));
        else
            folders[""].mtime_ns = 0;
        return;
    }
    if (!path.empty() && !listing.log_file.empty()) {
        // A log appeared: the folder is a run now (and runs are not searched for further runs).
        remove_subtree(path);
        add_run(path, listing.log_file, true);
        folders[parent_path(path)].children.insert(name_of(path));
        return;
    }
    Folder& folder = it->second;
    folder.mtime_ns = listing.mtime_ns;
    if (folder.watch < 0) folder.watch = add_watch(path, false);  // e.g. the root, deleted and made again
    if (folder.depth >= std::max(service.config_.discovery_depth, 1)) return;
    std::set<std::string> present(listing.subfolders.begin(), listing.subfolders.end());
    std::vector<std::string> gone;
    for (const auto& name : folder.children) {
        if (!present.contains(name)) gone.push_back(name);
    }
    int depth = folder.depth;
    std::vector<std::string> fresh;
    for (const auto& name : present) {
        if (!folder.children.contains(name)) fresh.push_back(name);
    }
    for (const auto& name : gone) remove_subtree(child_path(path, name));
    for (const auto& name : fresh) {
        ScanResult found;
        scan_tree(service.results_, child_path(path, name), depth + 1, std::max(service.config_.discovery_depth, 1),
                  found);
        add_found(found, true);
    }
}

void RunService::Worker::mark_urgent(const std::shared_ptr<Run>& run) {
    if (run->urgent || run->removed) return;
    run->urgent = true;
    urgent.push_back(run);
}

void RunService::Worker::mark_changed(const std::shared_ptr<Run>& run) {
    if (run->changed || run->announce) return;
    run->changed = true;
    changed.push_back(run);
}

void RunService::Worker::handle_inotify() {
    alignas(struct inotify_event) char events[64 * 1024];
    while (true) {
        ssize_t length = ::read(inotify.get(), events, sizeof events);
        if (length <= 0) return;
        for (ssize_t position = 0; position < length;) {
            auto* event = reinterpret_cast<struct inotify_event*>(events + position);
            position += static_cast<ssize_t>(sizeof(struct inotify_event) + event->len);
            if (event->mask & IN_Q_OVERFLOW) {
                full_poll_requested = true;
                continue;
            }
            auto it = watches.find(event->wd);
            if (it == watches.end()) continue;
            if (event->mask & IN_IGNORED) {
                // The kernel dropped the watch (folder deleted): forget it, polling takes over.
                auto target = it->second;
                watches.erase(it);
                if (target.is_run) {
                    if (auto run = run_at(target.path)) run->watch = -1;
                } else if (auto folder = folders.find(target.path); folder != folders.end()) {
                    folder->second.watch = -1;
                }
                if (!target.path.empty()) dirty_folders.insert(parent_path(target.path));
                continue;
            }
            const WatchTarget& target = it->second;
            std::string_view name = event->len ? std::string_view(event->name) : std::string_view();
            if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
                dirty_folders.insert(target.path.empty() ? "" : parent_path(target.path));
                continue;
            }
            if (target.is_run) {
                auto run = run_at(target.path);
                if (!run) continue;
                if (name.empty() || name == run->log_file || name == log_file_names[0] || name == log_file_names[1])
                    mark_urgent(run);
            } else if (event->mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)) {
                if (!name.empty() && name.front() == '.') continue;
                dirty_folders.insert(target.path);
            }
        }
    }
}

void RunService::Worker::poll_stats(bool everything) {
    bool trust_watches = !network_file_system;
    for (auto& [path, folder] : folders) {
        if (!everything && trust_watches && folder.watch >= 0) continue;
        struct stat status {};
        std::string full = join_path(service.results_, path);
        std::int64_t mtime = 0;
        if (::stat(full.c_str(), &status) == 0)
            mtime = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
        if (mtime != folder.mtime_ns) dirty_folders.insert(path);
    }
    for (const auto& [path, run] : service.runs_by_path_) {
        if (!everything && ((trust_watches && run->watch >= 0) || !run->active)) continue;
        int error = 0;
        FileIdentity seen = stat_identity(run->log_path, error);
        if (error != 0) {
            if (run->access == LogAccess::readable) mark_urgent(run);
            continue;
        }
        if (run->reader.changed(seen) || run->access != LogAccess::readable) mark_urgent(run);
    }
}

bool RunService::Worker::read_run(const std::shared_ptr<Run>& run_pointer) {
    Run& run = *run_pointer;
    if (run.removed) return false;
    bool collect_points = run.ever_read && service.hub_.subscriber_count(topic) > 0;
    RunIndexer indexer(run, parser, collect_points);
    auto status = run.reader.read(run.log_path, buffer, indexer, slice_bytes);
    if (status == ReadStatus::vanished) {
        // The log is gone. Another log name, or the folder gone, or shown as vanished.
        FolderListing listing = list_folder(join_path(service.results_, run.path));
        if (!listing.exists) {
            dirty_folders.insert(run.group);
            return false;
        }
        if (!listing.log_file.empty() && listing.log_file != run.log_file) {
            {
                std::lock_guard lock(run.mutex);
                run.log_file = listing.log_file;
            }
            run.log_path = join_path(service.results_, run.path + "/" + listing.log_file);
            run.reader = LogReader{};
            run.ever_read = false;
            mark_changed(run_pointer);
            return true;
        }
    }
    LogAccess access = status == ReadStatus::vanished     ? LogAccess::vanished
                       : status == ReadStatus::unreadable ? LogAccess::unreadable
                                                          : LogAccess::readable;
    bool any_change = access != run.access || indexer.lines() > 0 || !(run.reader.identity() == run.identity) ||
                      (status == ReadStatus::appended && !run.indexed);
    {
        std::lock_guard lock(run.mutex);
        if (access != LogAccess::readable && run.access != access)
            spdlog::info("runs: log of {} is {}: {}", run.path, access == LogAccess::vanished ? "gone" : "unreadable",
                         run.reader.error());
        run.access = access;
        if (access == LogAccess::readable) {
            run.identity = run.reader.identity();
            run.indexed_offset = run.reader.offset();
            if ((status == ReadStatus::appended || status == ReadStatus::unchanged) && !run.indexed) {
                run.indexed = true;
                run.cold.reset();  // not shown any more
                std::vector<std::string>().swap(run.cold_metrics);
            }
        }
    }
    if (any_change) mark_changed(run_pointer);
    return status == ReadStatus::more;
}

void RunService::Worker::process_dirty_folders() {
    while (!dirty_folders.empty()) {
        auto path = *dirty_folders.begin();
        dirty_folders.erase(dirty_folders.begin());
        rescan_folder(path);
    }
}

void RunService::Worker::process_urgent(bool until_empty) {
    std::size_t count = urgent.size();
    for (std::size_t i = 0; (until_empty || i < count) && !urgent.empty(); ++i) {
        auto run = std::move(urgent.front());
        urgent.pop_front();
        run->urgent = false;
        if (read_run(run)) mark_urgent(run);  // more to read: back of the queue
    }
}

void RunService::Worker::process_backlog() {
    std::size_t budget = slice_bytes;
    while (!backlog.empty() && budget > 0) {
        auto& run = backlog.front();
        if (run->removed || run->indexed) {
            backlog.pop_front();
            continue;
        }
        auto before = run->reader.offset();
        bool more = read_run(run);
        auto consumed = run->reader.offset() - std::min(before, run->reader.offset());
        budget -= std::min<std::size_t>(budget, std::max<std::size_t>(consumed, 4096));
        if (!more) backlog.pop_front();
    }
    if (backlog.empty() && !index_reported) {
        index_reported = true;
        {
            std::lock_guard lock(service.index_mutex_);
            service.indexed_ = true;
        }
        service.index_done_.notify_all();
        spdlog::info("runs: full index done");
    }
}

void RunService::Worker::check_states() {
    double now = unix_now();
    for (const auto& [path, run] : service.runs_by_path_) {
        auto state = run->state(now, service.dead_after_);
        if (state != run->last_state) {
            run->last_state = state;
            run->active = is_active(state);
            mark_changed(run);
        }
    }
}

void RunService::Worker::flush(bool force) {
    if (added.empty() && changed.empty() && removed.empty()) return;
    auto now = Clock::now();
    if (!force && now < last_flush + batch_window) return;  // main() wakes up at last_flush + batch_window
    last_flush = now;
    bool listening = service.hub_.subscriber_count(topic) > 0;
    double wall = unix_now();
    std::vector<std::string> events;
    for (const auto& id : removed) {
        if (listening) events.push_back(removed_event(id));
    }
    for (const auto& run : added) {
        if (run->removed || !run->announce) continue;
        run->announce = false;
        run->pending_points.clear();
        auto summary = service.make_summary(*run, wall);
        run->last_state = summary.state;
        if (listening) events.push_back(added_event(summary));
        run->published = std::move(summary);
    }
    for (const auto& run : changed) {
        run->changed = false;
        if (run->removed) continue;
        if (listening) {
            auto summary = service.make_summary(*run, wall);
            run->last_state = summary.state;
            if (!run->published) run->published = RunSummary{};
            if (auto event = updated_event(*run->published, summary)) events.push_back(std::move(*event));
            if (!run->pending_points.empty()) {
                std::vector<PointValues> points;
                points.reserve(run->pending_points.size());
                for (const auto& point : run->pending_points)
                    points.push_back(PointValues{point.step, point.time, point.epoch, point.values});
                events.push_back(points_event(run->id, points, run->history.metric_names()));
            }
            run->published = std::move(summary);
        }
        run->pending_points.clear();
    }
    if (events.size() == 1) {
        service.hub_.publish(topic, std::move(events.front()));
    } else if (!events.empty()) {
        std::size_t size = 40;
        for (const auto& event : events) size += event.size() + 1;
        std::string batch;
        batch.reserve(size);
        batch += R"({"type":"runs.batch","events":[)";
        for (std::size_t i = 0; i < events.size(); ++i) {
            if (i) batch += ',';
            batch += events[i];
        }
        batch += "]}";
        service.hub_.publish(topic, std::move(batch));
    }
    added.clear();
    changed.clear();
    removed.clear();
}

void RunService::Worker::run_tasks() {
    std::vector<std::function<void()>> pending;
    {
        std::lock_guard lock(tasks_mutex);
        pending.swap(tasks);
    }
    for (auto& task : pending) task();
}

void RunService::Worker::process_everything() {
    handle_inotify();
    poll_stats(true);
    process_dirty_folders();
    process_urgent(true);
    process_dirty_folders();
    process_urgent(true);
    check_states();
    flush(true);
}

void RunService::Worker::main() {
    // Watches are set up here, not in start(), to keep the cold start short.
    bool all_watched = static_cast<bool>(inotify);
    for (auto& [path, folder] : folders) {
        folder.watch = add_watch(path, false);
        all_watched = all_watched && folder.watch >= 0;
    }
    for (const auto& [path, run] : service.runs_by_path_) {
        run->watch = add_watch(path, true);
        all_watched = all_watched && run->watch >= 0;
    }
    service.watching_ = all_watched && !network_file_system;
    if (network_file_system)
        spdlog::info("runs: {} is a network file system: polling every {} ms", service.results_.string(),
                     service.config_.poll_interval.count());

    auto poll_interval = std::max<std::chrono::milliseconds>(service.config_.poll_interval, 10ms);
    // Everything, watched or not, is stat()ed this often as a safety net; what inotify cannot see
    // (network shares, folders beyond the watch limit) is stat()ed every poll_interval.
    auto full_interval = poll_interval * 10;
    auto now = Clock::now();
    next_fast_poll = now + poll_interval;
    next_full_poll = now + full_interval;
    next_state_check = now + 1s;

    while (!service.stopping_) {
        now = Clock::now();
        auto deadline = std::min({next_fast_poll, next_full_poll, next_state_check});
        bool pending_batch = !added.empty() || !changed.empty() || !removed.empty();
        if (pending_batch) deadline = std::min(deadline, last_flush + batch_window);
        bool busy = !urgent.empty() || !backlog.empty() || !dirty_folders.empty() || full_poll_requested;
        int timeout_ms = 0;
        if (!busy && deadline > now)
            timeout_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
        pollfd descriptors[2] = {{wake.get(), POLLIN, 0}, {inotify.get(), POLLIN, 0}};
        ::poll(descriptors, inotify ? 2 : 1, timeout_ms);
        if (descriptors[0].revents & POLLIN) {
            std::uint64_t count = 0;
            [[maybe_unused]] auto got = ::read(wake.get(), &count, sizeof count);
        }
        if (service.stopping_) break;
        if (inotify && (descriptors[1].revents & POLLIN)) handle_inotify();
        run_tasks();

        now = Clock::now();
        if (now >= next_full_poll || full_poll_requested) {
            full_poll_requested = false;
            poll_stats(true);
            next_full_poll = now + full_interval;
            next_fast_poll = now + poll_interval;
        } else if (now >= next_fast_poll) {
            poll_stats(false);
            next_fast_poll = now + poll_interval;
        }
        process_dirty_folders();
        process_urgent(false);
        if (urgent.empty()) process_backlog();
        if (now >= next_state_check) {
            check_states();
            next_state_check = now + 1s;
        }
        flush(false);
    }
    run_tasks();  // nobody waits forever on a task queued during shutdown
}

}  // namespace ailab::runs
