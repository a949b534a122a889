#include "runs/tracked.hpp"

#include "runs/discovery.hpp"

namespace ailab::runs {

Run::Run(std::string relative, std::string log, RunFormat run_format, const std::filesystem::path& results,
         std::size_t history_capacity, std::string_view scope)
    : id(run_id(scoped_path(scope, relative))),
      path(std::move(relative)),
      shown_path(scoped_path(scope, path)),
      name(name_of(path)),
      group(scoped_path(scope, parent_path(path))),
      folder_path(join_path(results, path)),
      reader(format_of(run_format).make_reader(log)),
      always_polled(format_of(run_format).needs_polling),
      log_file(std::move(log)),
      format(run_format),
      history(history_capacity) {}

void Run::set_format(RunFormat new_format, std::string marker, const std::filesystem::path& results) {
    folder_path = join_path(results, path);
    reader = format_of(new_format).make_reader(marker);
    always_polled = format_of(new_format).needs_polling;
    ever_read = false;
    std::lock_guard lock(mutex);
    log_file = std::move(marker);
    format = new_format;
}

std::optional<double> Run::updated_at() const {
    if (auto last = shown_fold().last_timestamp()) return last;
    if (identity.size >= 0) return static_cast<double>(identity.mtime_ns) * 1e-9;
    return std::nullopt;
}

RunState Run::state(double now, const StateTimes& times) const {
    const RunFold& shown = shown_fold();
    Goals goals = format_of(format).writes_goals ? Goals::written : Goals::none;
    return compute_state(StateInputs{access, shown.lines(), &shown.meaningful(), updated_at(), goals}, now, times);
}

RunSummary make_summary(const Run& run, double now, const StateTimes& times) {
    RunSummary summary;
    summary.id = run.id;
    summary.name = run.name;
    summary.path = run.shown_path;
    summary.group = run.group;
    summary.log_file = run.log_file;
    summary.format = format_name(run.format);
    const RunFold& fold = run.shown_fold();
    const Snapshot& snapshot = fold.meaningful();
    summary.state = run.state(now, times);
    summary.phase = snapshot.phase;
    summary.epoch = snapshot.epoch;
    summary.epochs = snapshot.epochs;
    summary.progress = snapshot.progress;
    // A run that is over has nothing left to estimate: its last line's ETA is history, not a forecast.
    if (is_active(summary.state) && summary.state != RunState::empty) summary.eta = snapshot.eta;
    summary.score = snapshot.score;
    summary.job_id = snapshot.job_id;
    summary.started_at = fold.started_at();
    summary.updated_at = run.updated_at();
    // Formats without an ETA field (Hugging Face): from the rate so far, while running.
    if (!summary.eta && summary.state == RunState::running && snapshot.progress && *snapshot.progress > 0 &&
        *snapshot.progress < 1 && summary.started_at && summary.updated_at && *summary.updated_at > *summary.started_at)
        summary.eta = (*summary.updated_at - *summary.started_at) * (1 - *snapshot.progress) / *snapshot.progress;
    summary.aborted_early = is_aborted_early(summary.state, snapshot);
    summary.metrics = run.indexed ? run.history.metric_names() : run.cold_metrics;
    if (run.indexed) summary.lines = fold.lines();
    summary.bad_lines = fold.bad_lines();
    return summary;
}

bool is_active(RunState state) {
    return state != RunState::done && state != RunState::failed && state != RunState::dead && state != RunState::idle;
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

}  // namespace ailab::runs
