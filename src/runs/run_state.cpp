#include "runs/run_state.hpp"

#include <cmath>

namespace ailab::runs {

std::string_view state_name(RunState state) {
    switch (state) {
    case RunState::running: return "running";
    case RunState::done: return "done";
    case RunState::failed: return "failed";
    case RunState::paused: return "paused";
    case RunState::waiting: return "waiting";
    case RunState::dead: return "dead";
    case RunState::empty: return "empty";
    case RunState::unreadable: return "unreadable";
    case RunState::idle: return "idle";
    }
    return "unknown";
}

bool equals_ignoring_case(std::string_view left, std::string_view right) {
    if (left.size() != right.size()) return false;
    for (std::size_t i = 0; i < left.size(); ++i) {
        auto a = static_cast<unsigned char>(left[i]);
        auto b = static_cast<unsigned char>(right[i]);
        if (a >= 'A' && a <= 'Z') a = static_cast<unsigned char>(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = static_cast<unsigned char>(b - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}

LineX RunFold::add(const ParsedLine& line) {
    ++lines_;
    if (present(line.timestamp)) {
        if (!started_at_) started_at_ = line.timestamp;
        last_timestamp_ = line.timestamp;
    }
    current_.plain_train_or_val = false;
    if (line.has_goal) {
        // Consecutive lines mostly repeat their goal: parse it only when it changed.
        bool changed = line.goal != current_.goal;
        Goal goal;
        if (changed) goal = parse_goal(line.goal);
        bool plain = changed ? goal.plain_train_or_val : goal_is_plain_;
        // The snapshot before this line is only ever consulted while this line is the last one and
        // its goal is exactly "train"/"val", so it is copied only then, before this line changes it
        // (a copy per line would cost a third of the fold).
        if (plain) previous_ = current_;
        if (changed) {
            current_.goal.assign(line.goal);
            current_.phase.assign(goal.phase);
            goal_is_plain_ = goal.plain_train_or_val;
            current_goal_epoch_ = goal.epoch ? std::optional<double>(*goal.epoch) : std::nullopt;
            if (goal.epochs) current_.epochs = *goal.epochs;
        }
        current_.plain_train_or_val = plain;
        if (current_goal_epoch_) current_.epoch = goal_epoch_ = *current_goal_epoch_;
    }
    if (present(line.epoch)) current_.epoch = line.epoch;
    if (present(line.progress)) current_.progress = line.progress;
    if (present(line.eta)) current_.eta = line.eta;
    if (present(line.score)) current_.score = line.score;
    if (present(line.job_id) && line.job_id >= 1 && line.job_id < 9e15)
        current_.job_id = static_cast<std::int64_t>(line.job_id);
    double step = present(line.step) ? line.step : static_cast<double>(lines_ - 1);
    return LineX{step, line.timestamp, fractional_epoch(line, goal_epoch_, current_.epochs)};
}

const Snapshot& RunFold::meaningful() const { return current_.plain_train_or_val && lines_ > 1 ? previous_ : current_; }

double fractional_epoch(const ParsedLine& line, std::optional<double> epoch, std::optional<int> epochs) {
    if (present(line.epoch)) return line.epoch;
    if (!epoch) return absent;
    if (present(line.progress)) {
        if (epochs && *epochs > 0) {
            double whole_run = line.progress * *epochs;
            if (whole_run >= *epoch - 1 - 1e-9 && whole_run <= *epoch + 1e-9) return whole_run;
        }
        if (line.progress >= 0 && line.progress <= 1) return *epoch - 1 + line.progress;
    }
    return *epoch;
}

RunState compute_state(const StateInputs& inputs, double now, const StateTimes& times) {
    if (inputs.access != LogAccess::readable) return RunState::unreadable;
    if (inputs.lines == 0 || inputs.meaningful == nullptr) return RunState::empty;
    const Snapshot& snapshot = *inputs.meaningful;
    if (inputs.goals == Goals::none) {
        if (equals_ignoring_case(snapshot.phase, "done")) return RunState::done;
        bool growing = inputs.updated_at && now - *inputs.updated_at < static_cast<double>(times.idle_after.count());
        if (growing) return RunState::running;
        return snapshot.progress && *snapshot.progress >= 1.0 ? RunState::done : RunState::idle;
    }
    auto dead_after = times.dead_after;
    if (equals_ignoring_case(snapshot.phase, "done")) return RunState::done;
    if (equals_ignoring_case(snapshot.phase, "failed")) return RunState::failed;
    bool stale = !inputs.updated_at || now - *inputs.updated_at >= static_cast<double>(dead_after.count());
    if (stale) {
        bool last_epoch = !snapshot.epochs || !snapshot.epoch || *snapshot.epoch >= *snapshot.epochs;
        if (snapshot.progress && *snapshot.progress >= 1.0 && last_epoch) return RunState::done;
        return RunState::dead;
    }
    if (equals_ignoring_case(snapshot.phase, "pause") || equals_ignoring_case(snapshot.phase, "paused"))
        return RunState::paused;
    if (equals_ignoring_case(snapshot.phase, "waiting")) return RunState::waiting;
    return RunState::running;
}

bool is_aborted_early(RunState state, const Snapshot& meaningful) {
    if (state != RunState::dead) return false;
    if (meaningful.phase.size() >= 6 && equals_ignoring_case(std::string_view(meaningful.phase).substr(0, 6), "warmup"))
        return true;
    return meaningful.epoch && *meaningful.epoch < 2;
}

}  // namespace ailab::runs
