#include "runs/run_state.hpp"

#include <gtest/gtest.h>

namespace ailab::runs {
namespace {

using namespace std::chrono_literals;

constexpr double now = 1'700'000'000.0;
constexpr std::chrono::seconds dead_after = 90min;

class RunStateTest : public ::testing::Test {
protected:
    // Folds a line given as JSON.
    void add(const std::string& json) {
        ASSERT_EQ(parser.parse(json, line), LineError::none) << json;
        fold.add(line);
    }
    RunState state(std::optional<double> updated_at, LogAccess access = LogAccess::readable) {
        return compute_state(StateInputs{access, fold.lines(), &fold.meaningful(), updated_at}, now, dead_after);
    }

    // The rules of formats without goals (TensorBoard, Lightning, Hugging Face).
    RunState goalless_state(std::optional<double> updated_at) {
        StateInputs inputs{LogAccess::readable, fold.lines(), &fold.meaningful(), updated_at, Goals::none};
        return compute_state(inputs, now, StateTimes(dead_after, 10min));
    }

    LineParser parser;
    ParsedLine line;
    RunFold fold;
};

TEST_F(RunStateTest, WithoutGoalsRunningWhileGrowingThenIdleNeverDead) {
    EXPECT_EQ(goalless_state(now), RunState::empty);
    add(R"({"step": 1, "loss": 0.5})");
    EXPECT_EQ(goalless_state(now - 60), RunState::running);
    EXPECT_EQ(goalless_state(now - 9 * 60), RunState::running);
    // No growth for idle_minutes: idle, whatever time passes (the files cannot tell finished from dead).
    EXPECT_EQ(goalless_state(now - 10 * 60), RunState::idle);
    EXPECT_EQ(goalless_state(now - 1e6), RunState::idle);
    EXPECT_EQ(goalless_state(std::nullopt), RunState::idle);
}

TEST_F(RunStateTest, WithoutGoalsDoneOnlyWithEvidence) {
    // Lightning's last epoch with max_epochs known: progress 1, done once it stops growing.
    add(R"({"step": 10, "progress": 1.0})");
    EXPECT_EQ(goalless_state(now - 60), RunState::running);
    EXPECT_EQ(goalless_state(now - 3600), RunState::done);
    // Hugging Face's global_step == max_steps: the reader writes the goal "done", done at once.
    fold.reset();
    add(R"({"step": 100, "goal": "done", "progress": 1.0})");
    EXPECT_EQ(goalless_state(now), RunState::done);
    // Progress short of 1: idle, not done.
    fold.reset();
    add(R"({"step": 50, "progress": 0.5})");
    EXPECT_EQ(goalless_state(now - 3600), RunState::idle);
}

TEST_F(RunStateTest, EmptyWithoutValidLines) {
    EXPECT_EQ(state(now), RunState::empty);
    fold.add_bad_line();
    EXPECT_EQ(state(now), RunState::empty);
    EXPECT_EQ(fold.bad_lines(), 1u);
}

TEST_F(RunStateTest, UnreadableAndVanishedWinOverEverything) {
    add(R"({"goal": "done"})");
    EXPECT_EQ(state(now, LogAccess::unreadable), RunState::unreadable);
    EXPECT_EQ(state(now, LogAccess::vanished), RunState::unreadable);
}

TEST_F(RunStateTest, RunningWhenRecentlyUpdated) {
    add(R"({"goal": "train 1/10", "progress": 0.05})");
    EXPECT_EQ(state(now - 60), RunState::running);
}

TEST_F(RunStateTest, DeadThresholdEdge) {
    add(R"({"goal": "train 5/10", "progress": 0.45})");
    EXPECT_EQ(state(now - 90 * 60 + 1), RunState::running);
    EXPECT_EQ(state(now - 90 * 60), RunState::dead);
    EXPECT_EQ(state(now - 5 * 3600), RunState::dead);
}

TEST_F(RunStateTest, DoneAndFailedByGoalEvenWhenStale) {
    add(R"({"goal": "train 10/10", "progress": 0.9})");
    add(R"({"goal": "done"})");
    EXPECT_EQ(state(now), RunState::done);
    EXPECT_EQ(state(now - 86400), RunState::done);
    add(R"({"goal": "failed"})");
    EXPECT_EQ(state(now), RunState::failed);
    EXPECT_EQ(state(now - 86400), RunState::failed);
}

TEST_F(RunStateTest, StaleRunWhoseLastEpochFinishedIsDone) {
    add(R"({"goal": "train 10/10", "progress": 1.0})");
    EXPECT_EQ(state(now - 60), RunState::running);  // fresh: still running (e.g. writing checkpoints)
    EXPECT_EQ(state(now - 2 * 3600), RunState::done);
}

TEST_F(RunStateTest, StaleRunWithFullProgressButNotInLastEpochIsDead) {
    // Progress per epoch reached 1.0 in epoch 4 of 10: it died between epochs.
    add(R"({"goal": "train 4/10", "progress": 1.0})");
    EXPECT_EQ(state(now - 2 * 3600), RunState::dead);
}

TEST_F(RunStateTest, PausedAndWaitingWhileFresh) {
    add(R"({"goal": "pause"})");
    EXPECT_EQ(state(now - 10), RunState::paused);
    EXPECT_EQ(state(now - 2 * 3600), RunState::dead);
    add(R"({"goal": "waiting"})");
    EXPECT_EQ(state(now - 10), RunState::waiting);
}

TEST_F(RunStateTest, LastLineWithPlainTrainOrValDefersToTheLineBefore) {
    add(R"({"goal": "train 3/10", "progress": 0.3})");
    add(R"({"goal": "pause"})");
    add(R"({"goal": "train", "progress": 0.31})");
    // The plain "train" line defers to the line before: paused, with that line's progress.
    EXPECT_EQ(fold.meaningful().phase, "pause");
    EXPECT_EQ(state(now - 10), RunState::paused);
    EXPECT_EQ(fold.meaningful().progress, 0.3);
    EXPECT_EQ(fold.last().progress, 0.31);
    add(R"({"goal": "val 3/10", "progress": 0.32})");
    EXPECT_EQ(fold.meaningful().phase, "val");
    EXPECT_EQ(state(now - 10), RunState::running);
    add(R"({"goal": "done"})");
    add(R"({"goal": "val"})");
    EXPECT_EQ(state(now - 10), RunState::done);
}

TEST_F(RunStateTest, APlainTrainFirstLineIsItsOwnMeaningfulLine) {
    add(R"({"goal": "train"})");
    EXPECT_EQ(fold.meaningful().phase, "train");
    EXPECT_EQ(state(now), RunState::running);
}

TEST_F(RunStateTest, ValuesCarryForwardFromEarlierLines) {
    add(R"({"timestamp": 1000, "goal": "train 2/5", "progress": 0.3, "eta": 60, "score": 0.4})");
    add(R"({"timestamp": 1010, "loss": 0.2})");
    const auto& snapshot = fold.meaningful();
    EXPECT_EQ(snapshot.phase, "train");
    EXPECT_EQ(snapshot.epoch, 2.0);
    EXPECT_EQ(snapshot.epochs, 5);
    EXPECT_EQ(snapshot.progress, 0.3);
    EXPECT_EQ(snapshot.eta, 60.0);
    EXPECT_EQ(snapshot.score, 0.4);
    EXPECT_EQ(fold.started_at(), 1000.0);
    EXPECT_EQ(fold.last_timestamp(), 1010.0);
    EXPECT_EQ(fold.lines(), 2u);
}

TEST_F(RunStateTest, AbortedEarlyOnlyForDeadRunsInWarmupOrBeforeEpochTwo) {
    add(R"({"goal": "warmup…"})");
    EXPECT_TRUE(is_aborted_early(RunState::dead, fold.meaningful()));
    EXPECT_FALSE(is_aborted_early(RunState::running, fold.meaningful()));
    add(R"({"goal": "train 1/10", "progress": 0.05})");
    EXPECT_TRUE(is_aborted_early(RunState::dead, fold.meaningful()));
    add(R"({"goal": "train 2/10", "progress": 0.15})");
    EXPECT_FALSE(is_aborted_early(RunState::dead, fold.meaningful()));
    EXPECT_FALSE(is_aborted_early(RunState::failed, fold.meaningful()));
    RunFold no_epochs;
    ASSERT_EQ(parser.parse(R"({"loss": 1})", line), LineError::none);
    no_epochs.add(line);
    EXPECT_FALSE(is_aborted_early(RunState::dead, no_epochs.meaningful()));
}

TEST_F(RunStateTest, StepIsXElseTheLineNumber) {
    ASSERT_EQ(parser.parse(R"({"loss": 1})", line), LineError::none);
    EXPECT_EQ(fold.add(line).step, 0.0);
    EXPECT_EQ(fold.add(line).step, 1.0);
    ASSERT_EQ(parser.parse(R"({"loss": 1, "step": 500})", line), LineError::none);
    EXPECT_EQ(fold.add(line).step, 500.0);
}

TEST(FractionalEpoch, FromFieldFromWholeRunProgressOrFromEpochProgress) {
    LineParser parser;
    ParsedLine line;
    ASSERT_EQ(parser.parse(R"({"epoch": 1.5, "progress": 0.9})", line), LineError::none);
    EXPECT_DOUBLE_EQ(fractional_epoch(line, 3.0, 10), 1.5);
    ASSERT_EQ(parser.parse(R"({"progress": 0.12})", line), LineError::none);
    EXPECT_DOUBLE_EQ(fractional_epoch(line, 2.0, 10), 1.2);  // whole-run progress: 0.12 × 10
    ASSERT_EQ(parser.parse(R"({"progress": 0.5})", line), LineError::none);
    EXPECT_DOUBLE_EQ(fractional_epoch(line, 8.0, 10), 7.5);  // 0.5 × 10 = 5 is not epoch 8: per-epoch progress
    ASSERT_EQ(parser.parse(R"({"loss": 1})", line), LineError::none);
    EXPECT_DOUBLE_EQ(fractional_epoch(line, 4.0, 10), 4.0);
    EXPECT_TRUE(std::isnan(fractional_epoch(line, std::nullopt, std::nullopt)));
}

}  // namespace
}  // namespace ailab::runs

namespace ailab::runs {
namespace {

TEST(RunFoldGoals, ARepeatedGoalStillSetsItsEpochAfterAnEpochField) {
    LineParser parser;
    ParsedLine line;
    RunFold fold;
    for (const char* json :
         {R"({"goal": "train 3/10"})", R"({"goal": "train 3/10", "epoch": 2.5})", R"({"goal": "train 3/10"})"}) {
        ASSERT_EQ(parser.parse(json, line), LineError::none);
        fold.add(line);
    }
    EXPECT_EQ(fold.meaningful().epoch, 3.0);
    EXPECT_EQ(fold.meaningful().epochs, 10);
}

TEST(RunFoldGoals, RepeatedPlainGoalsDeferToTheLineJustBefore) {
    LineParser parser;
    ParsedLine line;
    RunFold fold;
    for (const char* json : {R"({"goal": "val 2/10", "progress": 0.1})", R"({"goal": "train", "progress": 0.2})",
                             R"({"goal": "train", "progress": 0.3})"}) {
        ASSERT_EQ(parser.parse(json, line), LineError::none);
        fold.add(line);
    }
    EXPECT_EQ(fold.meaningful().progress, 0.2);
    EXPECT_EQ(fold.meaningful().goal, "train");
    EXPECT_EQ(fold.last().progress, 0.3);
}

}  // namespace
}  // namespace ailab::runs
