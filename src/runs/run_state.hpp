#pragma once
// What a run's log says: the fold of its lines into the latest known values, and the state rules.
// Plain data, no I/O and no locking: RunService owns the instances and says which thread may touch
// them.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runs/line_parser.hpp"
#include "runs/metric_history.hpp"

namespace ailab::runs {

enum class RunState { running, done, failed, paused, waiting, dead, empty, unreadable, idle };
inline constexpr RunState all_run_states[] = {RunState::running, RunState::done,       RunState::failed,
                                              RunState::paused,  RunState::waiting,    RunState::dead,
                                              RunState::empty,   RunState::unreadable, RunState::idle};
std::string_view state_name(RunState state);

// Whether the log could be read last time we looked.
enum class LogAccess { readable, unreadable, vanished };

// The latest known values after some line, each carried forward from the last line that had it.
struct Snapshot {
    std::string goal;                 // the raw goal text ("train 3/10"), "" when no line had one
    std::string phase;                // "train", "val", "warmup", "done", ... ("" when unknown)
    bool plain_train_or_val = false;  // this line's goal was exactly "train" or "val"
    std::optional<double> epoch;      // the goal's epoch ("train 3/10" -> 3) or the numeric epoch field
    std::optional<int> epochs;
    std::optional<double> progress;  // 0..1
    std::optional<double> eta;       // seconds
    std::optional<double> score;
    std::optional<std::int64_t> job_id;  // the AI Lab job that wrote the run

    bool operator==(const Snapshot&) const = default;
};

// Folds valid lines in file order. Keeps the snapshot after the last line and after the one before,
// because a last line whose goal is exactly "train" or "val" defers to the line before it.
class RunFold {
public:
    // Folds one valid line and returns its x values (step or line number, time, fractional epoch).
    LineX add(const ParsedLine& line);
    void add_bad_line() { ++bad_lines_; }
    void reset() { *this = RunFold{}; }

    // The snapshot the state is computed from (see the class comment).
    const Snapshot& meaningful() const;
    const Snapshot& last() const { return current_; }

    std::uint64_t lines() const { return lines_; }
    std::uint64_t bad_lines() const { return bad_lines_; }
    std::optional<double> started_at() const { return started_at_; }          // first line's timestamp
    std::optional<double> last_timestamp() const { return last_timestamp_; }  // last line's timestamp

    // For the cold start, which folds only the head and the tail of a log.
    void set_started_at(std::optional<double> time) { started_at_ = time; }

private:
    Snapshot current_;
    Snapshot previous_;  // before the last line whose goal was exactly "train" or "val"
    std::uint64_t lines_ = 0;
    std::uint64_t bad_lines_ = 0;
    std::optional<double> started_at_;
    std::optional<double> last_timestamp_;
    std::optional<double> goal_epoch_;          // the epoch of the last goal that named one
    std::optional<double> current_goal_epoch_;  // the epoch current_.goal names, if any
    bool goal_is_plain_ = false;                // current_.goal is exactly "train" or "val"
};

// The fractional epoch of a line for charts (x = epoch): the numeric "epoch" field when present;
// else, with the epoch of the goal (carried from earlier lines), progress × epochs when that agrees
// with the epoch (progress of the whole run), else (epoch - 1) + progress (progress within the
// epoch), else the epoch itself; absent when no epoch is known.
double fractional_epoch(const ParsedLine& line, std::optional<double> epoch, std::optional<int> epochs);

// Whether the run's format writes goals ("train 3/10", "done"). TensorBoard, Lightning and
// Hugging Face files have no goal field, so their states claim only what the files show.
enum class Goals { written, none };

// Inputs of the state rules, gathered by the caller.
struct StateInputs {
    LogAccess access = LogAccess::readable;
    std::uint64_t lines = 0;  // valid lines seen (tail lines during the cold start)
    const Snapshot* meaningful = nullptr;
    std::optional<double> updated_at;  // Unix seconds
    Goals goals = Goals::written;
};

// How long without an update makes a run dead (formats with goals) or idle (formats without).
struct StateTimes {
    std::chrono::seconds dead_after{90 * 60};
    std::chrono::seconds idle_after{10 * 60};
    StateTimes() = default;
    StateTimes(std::chrono::seconds dead, std::chrono::seconds idle = std::chrono::minutes(10))
        : dead_after(dead), idle_after(idle) {}
};

// The state rules:
//   unreadable: the log cannot be read (permissions) or vanished;
//   empty: no valid line;
//   done / failed: the meaningful goal's phase is "done" / "failed";
//   dead: not updated for dead_after or longer -- unless the last epoch finished with progress 1.0,
//         which is done;
//   paused / waiting: the phase is "pause" / "waiting" (and it is not stale);
//   running: otherwise.
// Without goals (Goals::none): unreadable and empty as above; done when the reader wrote the goal
// "done" (Hugging Face at global_step == max_steps); running while updated within idle_after;
// then done when the progress reached 1 (Lightning's last epoch with max_epochs known), else
// idle: the files cannot tell finished from dead.
RunState compute_state(const StateInputs& inputs, double now, const StateTimes& times);

// A dead run that died in warm-up or before epoch 2 (what the original deleted on its own).
bool is_aborted_early(RunState state, const Snapshot& meaningful);

// Case-insensitive equality of ASCII words.
bool equals_ignoring_case(std::string_view left, std::string_view right);

}  // namespace ailab::runs
