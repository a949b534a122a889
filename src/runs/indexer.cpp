#include "runs/indexer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "runs/discovery.hpp"

namespace ailab::runs {

namespace {

enum class PointCollection { collect, skip };

// Folds the lines LogReader hands over into a run's fold and history (the worker's hot path).
// Holds the run's lock for one buffer-full of lines at a time, never during I/O.
class RunIndexer final : public LineSink {
public:
    RunIndexer(Run& run, LineParser& parser, PointCollection points)
        : run_(run), parser_(parser), collect_points_(points == PointCollection::collect) {}

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

Indexer::Indexer(std::filesystem::path results, const ResultsRoot& root, Publisher& publisher)
    : results_(std::move(results)), root_(root), publisher_(publisher) {}

void Indexer::set_backlog(std::deque<RunPointer> backlog) {
    backlog_ = std::move(backlog);
    if (backlog_.empty()) {
        std::lock_guard lock(index_mutex_);
        indexed_ = true;
    }
}

void Indexer::mark_urgent(const RunPointer& run) {
    if (run->urgent || run->removed) return;
    run->urgent = true;
    urgent_.push_back(run);
}

Indexer::ReadOutcome Indexer::read(const RunPointer& run_pointer, std::set<std::string>& gone_folders) {
    Run& run = *run_pointer;
    if (run.removed) return ReadOutcome::done;
    bool collect = run.ever_read && publisher_.listening();
    RunIndexer indexer(run, parser_, collect ? PointCollection::collect : PointCollection::skip);
    auto status = run.reader.read(root_, run.log_relative, buffer_, indexer, slice_bytes);
    if (status == ReadStatus::vanished) {
        // The log is gone. Another log name, or the folder gone, or shown as vanished.
        FolderListing listing = list_folder(results_, run.path);
        if (!listing.exists) {
            gone_folders.insert(run.group);
            return ReadOutcome::done;
        }
        if (!listing.log_file.empty() && listing.log_file != run.log_file) {
            {
                std::lock_guard lock(run.mutex);
                run.log_file = listing.log_file;
            }
            run.log_path = join_path(results_, run.path + "/" + listing.log_file);
            run.log_relative = run.path + "/" + listing.log_file;
            run.reader = LogReader{};
            run.ever_read = false;
            publisher_.changed(run_pointer);
            return ReadOutcome::more;
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
    if (any_change) publisher_.changed(run_pointer);
    return status == ReadStatus::more ? ReadOutcome::more : ReadOutcome::done;
}

void Indexer::process_urgent(QueueDrain drain, std::set<std::string>& gone_folders) {
    bool until_empty = drain == QueueDrain::until_empty;
    std::size_t count = urgent_.size();
    for (std::size_t i = 0; (until_empty || i < count) && !urgent_.empty(); ++i) {
        auto run = std::move(urgent_.front());
        urgent_.pop_front();
        run->urgent = false;
        if (read(run, gone_folders) == ReadOutcome::more) mark_urgent(run);  // back of the queue
    }
}

void Indexer::process_backlog(std::set<std::string>& gone_folders) {
    std::size_t budget = slice_bytes;
    while (!backlog_.empty() && budget > 0) {
        auto& run = backlog_.front();
        if (run->removed || run->indexed) {
            backlog_.pop_front();
            continue;
        }
        auto before = run->reader.offset();
        bool more = read(run, gone_folders) == ReadOutcome::more;
        auto consumed = run->reader.offset() - std::min(before, run->reader.offset());
        budget -= std::min<std::size_t>(budget, std::max<std::size_t>(consumed, 4096));
        if (!more) backlog_.pop_front();
    }
    if (backlog_.empty() && !index_reported_) report_indexed();
}

void Indexer::report_indexed() {
    index_reported_ = true;
    {
        std::lock_guard lock(index_mutex_);
        indexed_ = true;
    }
    index_done_.notify_all();
    spdlog::info("runs: full index done");
}

bool Indexer::wait_until_indexed(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(index_mutex_);
    return index_done_.wait_for(lock, timeout, [this] { return indexed_; });
}

}  // namespace ailab::runs
