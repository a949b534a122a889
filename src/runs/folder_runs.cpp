#include "runs/folder_runs.hpp"

#include <boost/json/value.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/system/error_category.hpp>
#include <filesystem>
#include <mutex>

#include "core/file.hpp"
#include "runs/cold_start.hpp"
#include "runs/discovery.hpp"
#include "runs/params.hpp"
#include "runs/worker.hpp"

namespace ailab::runs {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_side_file_bytes = std::size_t{1} << 20;

class RunErrorCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "ailab.runs"; }
    std::string message(int) const override { return "no such run"; }
};

const boost::system::error_category& run_error_category() {
    static const RunErrorCategory category;
    return category;
}

constexpr int no_such_run_value = 1;

}  // namespace

core::Error no_such_run(const std::string& id) {
    return core::Error{boost::system::error_code(no_such_run_value, run_error_category()), "no run with id " + id};
}

bool is_no_such_run(const core::Error& error) {
    return error.code == boost::system::error_code(no_such_run_value, run_error_category());
}

FolderRuns::FolderRuns(fs::path results, const Settings& settings, net::Hub& hub)
    : results_(std::move(results)),
      root_(results_),
      settings_(settings),
      times_(state_times(settings)),
      worker_(std::make_unique<Worker>(results_, root_, settings_, table_, hub)) {}

FolderRuns::~FolderRuns() { stop(); }

void FolderRuns::start() {
    stopping_ = false;
    worker_->start(cold_start(results_, root_, settings_, table_));
}

void FolderRuns::stop() {
    stopping_ = true;
    worker_->stop();
}

ReplaySource FolderRuns::replay_source(const Run& run) const {
    ReplaySource source;
    source.root = &root_;
    source.format = run.format;
    source.run_path = run.path;
    source.marker = run.log_file;
    source.budget = ReadBudget{std::chrono::steady_clock::now() + replay_time_limit, &stopping_};
    return source;
}

bool FolderRuns::watching() const { return worker_->watching(); }

std::map<std::string, std::size_t> FolderRuns::count_by_state() const {
    std::map<std::string, std::size_t> counts;
    for (auto state : all_run_states) counts[std::string(state_name(state))] = 0;
    double now = unix_now();
    table_.visit_locked([&](const Run& run) { ++counts[std::string(state_name(run.state(now, times_)))]; });
    return counts;
}

std::vector<RunSummary> FolderRuns::list() const {
    std::vector<RunSummary> summaries;
    double now = unix_now();
    summaries.reserve(table_.size());
    table_.visit_locked([&](const Run& run) { summaries.push_back(make_summary(run, now, times_)); });
    return summaries;
}

std::optional<RunSummary> FolderRuns::summary(const std::string& id) const {
    auto run = table_.find(id);
    if (!run) return std::nullopt;
    std::lock_guard lock(run->mutex);
    return make_summary(*run, unix_now(), times_);
}

std::optional<RunDetail> FolderRuns::detail(const std::string& id) const {
    auto run = table_.find(id);
    if (!run) return std::nullopt;
    RunDetail detail;
    {
        std::lock_guard lock(run->mutex);
        detail.summary = make_summary(*run, unix_now(), times_);
    }
    // File I/O without any lock, confined to results: a side file or a folder that is a link out
    // of results is left out, as is anything but a regular file.
    if (auto text = root_.read_small(run->path + "/config.json", max_side_file_bytes)) detail.config_json = *text;
    if (auto text = root_.read_small(run->path + "/hparams.yaml", max_side_file_bytes)) detail.hparams_text = *text;
    if (auto names = root_.list(run->path, 1000)) detail.files = std::move(*names);
    // From the texts just read, so the page shows what the files hold now; then the format's own
    // params (TensorBoard hparams), which the config files override.
    auto flat = flatten_run_params(detail.config_json, detail.hparams_text);
    {
        std::lock_guard lock(run->mutex);
        if (!run->format_params.empty()) flatten_into(boost::json::value(run->format_params), "", flat);
    }
    detail.params_json = params_json(flat);
    detail.params_error = std::move(flat.error);
    return detail;
}

std::optional<std::filesystem::path> FolderRuns::folder_of(const std::string& id) const {
    auto run = table_.find(id);
    if (!run) return std::nullopt;
    return results_ / run->path;
}

std::optional<RunImages> FolderRuns::images(const std::string& id) const {
    auto run = table_.find(id);
    if (!run) return std::nullopt;
    std::lock_guard lock(run->mutex);
    return RunImages{run->images, run->images_truncated};
}

core::Result<ImageBytes> FolderRuns::image(const std::string& id, std::size_t index) const {
    auto run = table_.find(id);
    if (!run) return no_such_run(id);
    RunImage image;
    {
        std::lock_guard lock(run->mutex);
        if (index >= run->images.size())
            return core::Error::invalid("run " + run->path + " has no image " + std::to_string(index));
        image = run->images[index];
    }
    constexpr std::uint64_t max_image_bytes = std::uint64_t{64} << 20;
    if (image.bytes > max_image_bytes) return core::Error::invalid("the image is larger than 64 MiB");
    auto fd = root_.open_for_reading(run->path + "/" + image.file);
    if (!fd) return core::Error::from(fd.error(), "run " + run->path + ": its event file cannot be read");
    ImageBytes out;
    out.type = image.type;
    out.bytes.resize(image.bytes);
    auto got = read_at(fd->get(), out.bytes.data(), out.bytes.size(), image.offset);
    if (!got) return core::Error::from(got.error(), "run " + run->path + ": its event file cannot be read");
    if (*got != image.bytes)
        return core::Error::invalid("run " + run->path + ": the event file holding the image changed");
    return out;
}

std::vector<RunParamsText> FolderRuns::all_params() const {
    std::vector<RunParamsText> out;
    out.reserve(table_.size());
    table_.visit_locked([&out](const Run& run) {
        if (run.params.size() > 2) out.push_back(RunParamsText{run.id, run.params});
    });
    return out;
}

std::vector<RunValues> FolderRuns::all_values() const {
    std::vector<RunValues> out;
    out.reserve(table_.size());
    table_.visit_locked([&out](const Run& run) {
        if (!run.history.metric_names().empty())
            out.push_back(RunValues{run.id, run.history.metric_names(), run.history.totals()});
    });
    return out;
}

core::Result<MetricsResult> FolderRuns::metrics(const std::string& id, const MetricsQuery& query) const {
    auto run = table_.find(id);
    if (!run) return no_such_run(id);
    MetricsResult result;
    std::vector<std::string> keys = query.keys;
    ReplaySource source;
    bool need_disk = false;
    {
        std::lock_guard lock(run->mutex);
        source = replay_source(*run);
        if (!run->indexed) {
            need_disk = true;
        } else {
            if (run->format == RunFormat::ailab) source.end_offset = run->indexed_offset;
            source.line_count = run->history.line_count();
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
    auto replayed = replay_series(source, query, std::move(keys));
    if (!replayed) return core::Error::from(replayed.error(), "run " + run->path);
    for (auto& [name, series] : *replayed) {
        if (series.x.empty() && !query.keys.empty()) {
            // Asked for but never seen: leave it out, like unknown keys in memory.
            bool known = false;
            {
                std::lock_guard lock(run->mutex);
                known = run->history.find_metric(name).has_value();
            }
            if (!known) continue;
        }
        result.series.emplace_back(std::move(name), std::move(series));
    }
    return result;
}

core::Result<ExportedPoints> FolderRuns::export_points(const std::string& id, ExportFormat format) const {
    auto run = table_.find(id);
    if (!run) return no_such_run(id);
    ReplaySource source;
    {
        std::lock_guard lock(run->mutex);
        source = replay_source(*run);
        // Logs up to what the index read (memory and disk agree); other formats read whole (their
        // positions are counts of records, in an order a fresh read need not repeat).
        if (run->indexed && run->format == RunFormat::ailab) source.end_offset = run->indexed_offset;
    }
    auto body = export_log(source, format);
    if (!body) return core::Error::from(body.error(), "run " + run->path);
    return ExportedPoints{std::move(*body), run->name + (format == ExportFormat::csv ? ".csv" : ".jsonl")};
}

CleanupResult FolderRuns::cleanup(const std::vector<std::string>& ids, CleanupScope scope) {
    CleanupResult result;
    worker_->run_task([&] {
        double now = unix_now();
        std::string date = local_date(now);
        for (const auto& id : ids) {
            auto run = table_.at_id(id);  // the worker thread: no lock needed
            if (!run) {
                result.errors.push_back({id, no_such_run(id).message});
                continue;
            }
            auto summary = make_summary(*run, now, times_);
            bool finished = summary.aborted_early || summary.state == RunState::dead ||
                            summary.state == RunState::failed || summary.state == RunState::empty;
            if (!finished && scope != CleanupScope::forced) {
                result.errors.push_back({id, "run " + run->path + " is " + std::string(state_name(summary.state)) +
                                                 "; only dead, failed, empty or aborted runs are cleaned up without "
                                                 "\"force\": true"});
                continue;
            }
            auto trash_path = move_to_trash(results_, run->path, date);
            if (!trash_path) {
                result.errors.push_back({id, trash_path.error().message});
                continue;
            }
            spdlog::info("runs: moved {} to {}", run->path, *trash_path);
            result.moved.push_back({id, run->shown_path, scoped_path(settings_.scope, *trash_path)});
            worker_->remove_subtree(run->path);
        }
        worker_->flush(FlushTiming::when_due);
    });
    return result;
}

std::vector<TrashItem> FolderRuns::trash() const {
    auto items = list_trash(results_, std::max(settings_.discovery_depth, 1));
    for (auto& item : items) {
        item.trash_path = scoped_path(settings_.scope, item.trash_path);
        item.path = scoped_path(settings_.scope, item.path);
    }
    std::sort(items.begin(), items.end(),
              [](const TrashItem& a, const TrashItem& b) { return a.moved_at > b.moved_at; });
    return items;
}

RestoreResult FolderRuns::restore(const std::vector<std::string>& trash_paths) {
    RestoreResult result;
    worker_->run_task([&] {
        for (const auto& trash_path : trash_paths) {
            auto path = restore_from_trash(results_, trash_path);
            if (!path) {
                result.errors.push_back({scoped_path(settings_.scope, trash_path), path.error().message});
                continue;
            }
            spdlog::info("runs: restored {} from {}", *path, trash_path);
            std::string shown = scoped_path(settings_.scope, *path);
            result.restored.push_back({scoped_path(settings_.scope, trash_path), shown, run_id(shown)});
            // So that the run is listed when this returns.
            worker_->rescan_above(*path);
        }
        worker_->read_changed_logs();
        worker_->flush(FlushTiming::when_due);
    });
    return result;
}

std::size_t FolderRuns::history_bytes() const {
    std::size_t bytes = 0;
    table_.visit_locked([&](const Run& run) { bytes += run.history.memory_bytes(); });
    return bytes;
}

bool FolderRuns::wait_until_indexed(std::chrono::milliseconds timeout) const {
    return worker_->wait_until_indexed(timeout);
}

void FolderRuns::poll_now() {
    worker_->run_task([this] { worker_->process_everything(); });
}

}  // namespace ailab::runs
