#include "runs/tracked.hpp"

#include "runs/discovery.hpp"

namespace ailab::runs {

Run::Run(std::string relative, std::string log, const std::filesystem::path& results, std::size_t history_capacity)
    : id(run_id(relative)),
      path(std::move(relative)),
      name(name_of(path)),
      group(parent_path(path)),
      log_path(join_path(results, path + "/" + log)),
      log_relative(path + "/" + log),
      log_file(std::move(log)),
      history(history_capacity) {}

std::optional<double> Run::updated_at() const {
    if (auto last = shown_fold().last_timestamp()) return last;
    if (identity.size >= 0) return static_cast<double>(identity.mtime_ns) * 1e-9;
    return std::nullopt;
}

RunState Run::state(double now, std::chrono::seconds dead_after) const {
    const RunFold& shown = shown_fold();
    return compute_state(StateInputs{access, shown.lines(), &shown.meaningful(), updated_at()}, now, dead_after);
}

RunSummary make_summary(const Run& run, double now, std::chrono::seconds dead_after) {
    RunSummary summary;
    summary.id = run.id;
    summary.name = run.name;
    summary.path = run.path;
    summary.group = run.group;
    summary.log_file = run.log_file;
    const RunFold& fold = run.shown_fold();
    const Snapshot& snapshot = fold.meaningful();
    summary.state = run.state(now, dead_after);
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
    summary.aborted_early = is_aborted_early(summary.state, snapshot);
    summary.metrics = run.indexed ? run.history.metric_names() : run.cold_metrics;
    if (run.indexed) summary.lines = fold.lines();
    summary.bad_lines = fold.bad_lines();
    return summary;
}

bool is_active(RunState state) {
    return state != RunState::done && state != RunState::failed && state != RunState::dead;
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
