#include "runs/worker.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "runs/discovery.hpp"

namespace ailab::runs {

using namespace std::chrono_literals;

namespace {
constexpr std::size_t params_per_turn = 128;
constexpr std::size_t max_params_batch = 512;
}  // namespace

Worker::Worker(std::filesystem::path results, const ResultsRoot& root, const Settings& settings, RunTable& table,
               net::Hub& hub)
    : results_(std::move(results)),
      settings_(settings),
      times_(state_times(settings)),
      table_(table),
      watcher_(results_, settings),
      publisher_(hub, times_),
      indexer_(results_, root, publisher_),
      params_reader_(root, publisher_, results_.string()),
      cold_reader_(root),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

Worker::~Worker() { stop(); }

void Worker::start(ColdStart cold) {
    folders_ = std::move(cold.folders);
    history_capacity_ = cold.history_capacity;
    indexer_.set_backlog(std::move(cold.backlog));
    for (const auto& [path, run] : table_.by_path()) params_reader_.mark(run);
    stopping_ = false;
    thread_ = std::thread([this] { main(); });
}

void Worker::stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    notify();
    thread_.join();
}

void Worker::notify() const {
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wake_.get(), &one, sizeof one);
}

void Worker::run_task(std::function<void()> task) {
    if (!thread_.joinable()) {
        task();  // no worker thread: this thread is the only one touching the worker's state
        return;
    }
    auto promise = std::make_shared<std::promise<void>>();
    auto future = promise->get_future();
    {
        std::lock_guard lock(tasks_mutex_);
        tasks_.push_back([task = std::move(task), promise] {
            try {
                task();
                promise->set_value();
            } catch (...) {
                promise->set_exception(std::current_exception());
            }
        });
    }
    notify();
    future.get();
}

void Worker::run_tasks() {
    std::vector<std::function<void()>> pending;
    {
        std::lock_guard lock(tasks_mutex_);
        pending.swap(tasks_);
    }
    for (auto& task : pending) task();
}

// ------------------------------------------------------------------------------------------------
// Discovery.

void Worker::add_run(const std::string& path, const std::string& log_file, RunFormat format, Announce announce) {
    auto run = std::make_shared<Run>(path, log_file, format, results_, history_capacity_, settings_.scope);
    cold_reader_.read(*run);
    run->points_from_offset = points_start(*run);
    run->watch = watcher_.add(path, WatchKind::run);
    table_.insert(run);
    auto summary = make_summary(*run, unix_now(), times_);
    run->last_state = summary.state;
    run->active = is_active(summary.state);
    run->published = std::move(summary);
    if (announce == Announce::yes) publisher_.added(run);
    indexer_.mark_urgent(run);
    params_reader_.mark(run);
}

void Worker::add_found(const ScanResult& found, Announce announce) {
    for (const auto& folder : found.folders) {
        auto& entry = folders_[folder.path];
        entry.depth = folder.depth;
        entry.mtime_ns = folder.mtime_ns;
        if (entry.watch < 0) entry.watch = watcher_.add(folder.path, WatchKind::folder);
        if (!folder.path.empty()) folders_[parent_path(folder.path)].children.insert(name_of(folder.path));
    }
    for (const auto& found_run : found.runs) {
        if (table_.at_path(found_run.path)) continue;
        add_run(found_run.path, found_run.log_file, found_run.format, announce);
        folders_[parent_path(found_run.path)].children.insert(name_of(found_run.path));
    }
}

void Worker::remove_subtree(const std::string& path) {
    for (const auto& run : table_.remove_subtree(path)) {
        watcher_.remove(run->watch);
        run->removed = true;
        publisher_.removed(*run);
    }
    // Folders at and below path (the root itself stays).
    auto forget = [this](FolderMap::iterator it) {
        watcher_.remove(it->second.watch);
        dirty_folders_.erase(it->first);
        return folders_.erase(it);
    };
    if (path.empty()) {
        folders_[""].children.clear();
        for (auto it = folders_.begin(); it != folders_.end();) it = it->first.empty() ? std::next(it) : forget(it);
        return;
    }
    if (auto it = folders_.find(path); it != folders_.end()) forget(it);
    std::string prefix = path + "/";
    for (auto it = folders_.lower_bound(prefix); it != folders_.end() && it->first.starts_with(prefix);)
        it = forget(it);
    if (auto parent = folders_.find(parent_path(path)); parent != folders_.end())
        parent->second.children.erase(name_of(path));
}

void Worker::rescan_folder(const std::string& path) {
    auto it = folders_.find(path);
    if (it == folders_.end()) return;
    FolderListing listing = list_folder(results_, path);
    if (!listing.exists) {
        remove_subtree(path);
        if (!path.empty())
            dirty_folders_.insert(parent_path(path));
        else
            folders_[""].mtime_ns = 0;
        return;
    }
    if (!path.empty() && !listing.log_file.empty()) {
        // A log appeared: the folder is a run now (and runs are not searched for further runs).
        remove_subtree(path);
        add_run(path, listing.log_file, listing.format, Announce::yes);
        folders_[parent_path(path)].children.insert(name_of(path));
        return;
    }
    TrackedFolder& folder = it->second;
    folder.mtime_ns = listing.mtime_ns;
    if (folder.watch < 0) folder.watch = watcher_.add(path, WatchKind::folder);  // e.g. the root, made again
    int max_depth = std::max(settings_.discovery_depth, 1);
    if (folder.depth >= max_depth) return;
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
        scan_tree(results_, child_path(path, name), depth + 1, max_depth, found);
        add_found(found, Announce::yes);
    }
}

void Worker::rescan_above(const std::string& path) {
    std::string folder = parent_path(path);
    while (!folder.empty() && !folders_.contains(folder)) folder = parent_path(folder);
    rescan_folder(folder);
}

void Worker::process_dirty_folders() {
    while (!dirty_folders_.empty()) {
        auto path = *dirty_folders_.begin();
        dirty_folders_.erase(dirty_folders_.begin());
        rescan_folder(path);
    }
}

// ------------------------------------------------------------------------------------------------
// The loop.

void Worker::take_report(WatchReport& report) {
    for (const auto& [path, kind] : report.dropped) {
        if (kind == WatchKind::run) {
            if (auto run = table_.at_path(path)) run->watch = -1;
        } else if (auto folder = folders_.find(path); folder != folders_.end()) {
            folder->second.watch = -1;
        }
    }
    for (const auto& path : report.runs) {
        if (auto run = table_.at_path(path)) indexer_.mark_urgent(run);
    }
    for (const auto& path : report.params) {
        if (auto run = table_.at_path(path)) params_reader_.mark(run);
    }
    dirty_folders_.merge(report.folders);
    if (report.overflow) full_poll_requested_ = true;
}

void Worker::check_states() {
    double now = unix_now();
    for (const auto& [path, run] : table_.by_path()) {
        auto state = run->state(now, times_);
        if (state != run->last_state) {
            run->last_state = state;
            run->active = is_active(state);
            publisher_.changed(run);
        }
    }
}

bool Worker::params_ready() const {
    return params_reader_.busy() && (publisher_.pending_params() < max_params_batch || !publisher_.listening());
}

void Worker::read_changed_logs() {
    indexer_.process_urgent(QueueDrain::until_empty, dirty_folders_);
    take_format_params();
}

void Worker::take_format_params() {
    for (const auto& run : indexer_.take_params_changed()) params_reader_.mark(run);
}

void Worker::process_everything() {
    WatchReport report;
    watcher_.read_events(report);
    watcher_.poll(PollScope::everything, folders_, table_, report);
    take_report(report);
    process_dirty_folders();
    read_changed_logs();
    process_dirty_folders();
    read_changed_logs();
    while (params_reader_.busy()) params_reader_.process(1024);
    check_states();
    publisher_.flush(FlushTiming::now);
}

void Worker::main() {
    // Watches are set up here, not in the cold start, to keep that short.
    watcher_.watch_all(folders_, table_);

    using Clock = std::chrono::steady_clock;
    auto poll_interval = std::max<std::chrono::milliseconds>(settings_.poll_interval, 10ms);
    // Everything, watched or not, is stat()ed this often as a safety net; what inotify cannot see
    // (network shares, folders beyond the watch limit) is stat()ed every poll_interval.
    auto full_interval = poll_interval * 10;
    auto now = Clock::now();
    auto next_fast_poll = now + poll_interval;
    auto next_full_poll = now + full_interval;
    auto next_state_check = now + 1s;

    while (!stopping_) {
        now = Clock::now();
        auto deadline = std::min({next_fast_poll, next_full_poll, next_state_check});
        if (publisher_.pending()) deadline = std::min(deadline, publisher_.due());
        bool busy = indexer_.busy() || !dirty_folders_.empty() || full_poll_requested_ || params_ready();
        int timeout_ms = 0;
        if (!busy && deadline > now)
            timeout_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
        int inotify = watcher_.descriptor();
        pollfd descriptors[2] = {{wake_.get(), POLLIN, 0}, {inotify, POLLIN, 0}};
        ::poll(descriptors, inotify >= 0 ? 2 : 1, timeout_ms);
        if (descriptors[0].revents & POLLIN) {
            std::uint64_t count = 0;
            [[maybe_unused]] auto got = ::read(wake_.get(), &count, sizeof count);
        }
        if (stopping_) break;
        WatchReport report;
        if (inotify >= 0 && (descriptors[1].revents & POLLIN)) {
            watcher_.read_events(report);
            take_report(report);
        }
        run_tasks();

        now = Clock::now();
        if (now >= next_full_poll || full_poll_requested_) {
            full_poll_requested_ = false;
            WatchReport polled;
            watcher_.poll(PollScope::everything, folders_, table_, polled);
            take_report(polled);
            next_full_poll = now + full_interval;
            next_fast_poll = now + poll_interval;
        } else if (now >= next_fast_poll) {
            WatchReport polled;
            watcher_.poll(PollScope::unwatched, folders_, table_, polled);
            take_report(polled);
            next_fast_poll = now + poll_interval;
        }
        process_dirty_folders();
        indexer_.process_urgent(QueueDrain::one_round, dirty_folders_);
        // Config files before the backlog: a few dozen µs a run. While clients listen, at most
        // max_params_batch runs.params go into one batch, so 10,000 runs at start never make a
        // message that a WebSocket's queue bounds would refuse.
        if (params_ready()) params_reader_.process(params_per_turn);
        if (!indexer_.has_urgent()) indexer_.process_backlog(dirty_folders_);
        take_format_params();
        if (now >= next_state_check) {
            check_states();
            next_state_check = now + 1s;
        }
        publisher_.flush(FlushTiming::when_due);
    }
    run_tasks();  // nobody waits forever on a task queued during shutdown
}

}  // namespace ailab::runs
