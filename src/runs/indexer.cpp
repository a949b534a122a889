#include "runs/indexer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "runs/discovery.hpp"
#include "runs/run_sink.hpp"

namespace ailab::runs {

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
    RunSink sink(run, collect ? PointCollection::collect : PointCollection::skip);
    ReadContext context{root_, buffer_, parser_};
    auto status = run.reader->read(context, run.path, sink, slice_bytes);
    if (sink.params_changed()) params_changed_.push_back(run_pointer);
    if (status == ReadStatus::vanished) {
        // The marker is gone. Another marker (of this format or another), or the folder gone, or
        // shown as vanished.
        FolderListing listing = list_folder(results_, run.path);
        if (!listing.exists) {
            gone_folders.insert(run.group);
            return ReadOutcome::done;
        }
        if (!listing.log_file.empty() && (listing.log_file != run.log_file || listing.format != run.format)) {
            run.set_format(listing.format, listing.log_file, results_);
            publisher_.changed(run_pointer);
            return ReadOutcome::more;
        }
    }
    LogAccess access = status == ReadStatus::vanished     ? LogAccess::vanished
                       : status == ReadStatus::unreadable ? LogAccess::unreadable
                                                          : LogAccess::readable;
    bool any_change = access != run.access || sink.records() > 0 || !(run.reader->identity() == run.identity) ||
                      (status == ReadStatus::appended && !run.indexed);
    {
        std::lock_guard lock(run.mutex);
        if (access != LogAccess::readable && run.access != access)
            spdlog::info("runs: log of {} is {}: {}", run.path, access == LogAccess::vanished ? "gone" : "unreadable",
                         run.reader->error());
        run.access = access;
        if (access == LogAccess::readable) {
            run.identity = run.reader->identity();
            run.indexed_offset = run.reader->position();
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
        auto before = run->reader->position();
        bool more = read(run, gone_folders) == ReadOutcome::more;
        auto after = run->reader->position();
        // Positions are bytes for logs; a count of records elsewhere, which still moves the budget.
        auto consumed = after - std::min(before, after);
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
