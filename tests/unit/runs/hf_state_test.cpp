// Hugging Face's trainer_state.json (runs/formats/hf_state.hpp): the state and its log_history,
// Python's bare NaN/Infinity, the choice of the newest checkpoint folder and TensorBoard tags.
#include "runs/formats/hf_state.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace ailab::runs::formats {
namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

const char* const full_state = R"({
  "best_metric": null,
  "best_model_checkpoint": null,
  "epoch": 1.5,
  "eval_steps": 500,
  "global_step": 1500,
  "is_hyper_param_search": false,
  "is_local_process_zero": true,
  "is_world_process_zero": true,
  "log_history": [
    {"epoch": 0.5, "grad_norm": 1.23, "learning_rate": 4.5e-05, "loss": 2.31, "step": 500},
    {"epoch": 1.0, "eval_loss": 1.9, "eval_runtime": 12.3, "eval_samples_per_second": 81.2, "eval_steps_per_second": 10.2, "step": 1000},
    {"epoch": 3.0, "step": 3000, "total_flos": 1.2e15, "train_loss": 1.5, "train_runtime": 600.0, "train_samples_per_second": 40.0, "train_steps_per_second": 5.0}
  ],
  "logging_steps": 500,
  "max_steps": 3000,
  "num_input_tokens_seen": 0,
  "num_train_epochs": 3,
  "save_steps": 500,
  "stateful_callbacks": {"TrainerControl": {"args": {"should_epoch_stop": false, "should_evaluate": false}, "attributes": {}}},
  "total_flos": 1.2e15,
  "train_batch_size": 8,
  "trial_name": null,
  "trial_params": null
})";

std::map<std::string, double> values_of(const HfLogEntry& entry) {
    return std::map<std::string, double>(entry.values.begin(), entry.values.end());
}

HfTrainerState parsed(std::string_view json) {
    auto state = parse_trainer_state(json);
    EXPECT_TRUE(state) << (state ? "" : state.error().message);
    return state ? *state : HfTrainerState{};
}

std::string error_of(std::string_view json) {
    auto state = parse_trainer_state(json);
    EXPECT_FALSE(state);
    return state ? "" : state.error().message;
}

TEST(HfState, FullState) {
    auto state = parsed(full_state);
    EXPECT_EQ(state.global_step, 1500.0);
    EXPECT_EQ(state.max_steps, 3000.0);
    EXPECT_EQ(state.epoch, 1.5);
    EXPECT_EQ(state.num_train_epochs, 3.0);
    EXPECT_EQ(state.logging_steps, 500.0);
    EXPECT_EQ(state.save_steps, 500.0);
    EXPECT_EQ(state.best_model_checkpoint, std::nullopt);
    EXPECT_EQ(state.best_metric, std::nullopt);
    ASSERT_EQ(state.log_history.size(), 3u);

    const auto& train = state.log_history[0];
    EXPECT_EQ(train.step, 500.0);
    EXPECT_EQ(train.epoch, 0.5);
    // The file's order, step and epoch left out.
    ASSERT_EQ(train.values.size(), 3u);
    EXPECT_EQ(train.values[0], (std::pair<std::string, double>{"grad_norm", 1.23}));
    EXPECT_EQ(train.values[1], (std::pair<std::string, double>{"learning_rate", 4.5e-05}));
    EXPECT_EQ(train.values[2], (std::pair<std::string, double>{"loss", 2.31}));

    const auto& summary = state.log_history[2];
    EXPECT_EQ(summary.step, 3000.0);
    EXPECT_EQ(values_of(summary).at("total_flos"), 1.2e15);
    EXPECT_EQ(values_of(summary).at("train_loss"), 1.5);
    EXPECT_EQ(summary.values.size(), 5u);
}

TEST(HfState, EvalKeys) {
    auto state = parsed(full_state);
    ASSERT_EQ(state.log_history.size(), 3u);
    const auto& eval = state.log_history[1];
    EXPECT_EQ(eval.step, 1000.0);
    EXPECT_EQ(eval.epoch, 1.0);
    EXPECT_EQ(values_of(eval), (std::map<std::string, double>{{"eval_loss", 1.9},
                                                              {"eval_runtime", 12.3},
                                                              {"eval_samples_per_second", 81.2},
                                                              {"eval_steps_per_second", 10.2}}));
}

TEST(HfState, BestCheckpointAndMetric) {
    auto state = parsed(
        R"({"best_metric": 0.91, "best_model_checkpoint": "out/checkpoint-1000", "global_step": 7, "log_history": []})");
    EXPECT_EQ(state.best_metric, 0.91);
    EXPECT_EQ(state.best_model_checkpoint, "out/checkpoint-1000");
    EXPECT_EQ(state.global_step, 7.0);
    EXPECT_TRUE(state.log_history.empty());
}

TEST(HfState, MissingOrZeroMaxSteps) {
    EXPECT_EQ(parsed(R"({"log_history": []})").max_steps, std::nullopt);
    EXPECT_EQ(parsed(R"({"max_steps": 0, "log_history": []})").max_steps, std::nullopt);
    EXPECT_EQ(parsed(R"({"max_steps": -1, "log_history": []})").max_steps, std::nullopt);
    EXPECT_EQ(parsed(R"({"max_steps": null, "log_history": []})").max_steps, std::nullopt);
    EXPECT_EQ(parsed(R"({"max_steps": NaN, "log_history": []})").max_steps, std::nullopt);
    EXPECT_EQ(parsed(R"({"max_steps": 10, "log_history": []})").max_steps, 10.0);
}

TEST(HfState, NanAndInfinityValues) {
    auto state = parsed(
        "{\"log_history\": [{\"loss\": NaN, \"grad_norm\": Infinity, \"x\": -Infinity, \"step\": 3,\n"
        "\"epoch\": NaN, \"note\": \"NaN\", \"flag\": true, \"list\": [NaN], \"odd\": \"\\u0000NaN\"}],\n"
        "\"best_metric\": -Infinity, \"best_model_checkpoint\": \"Infinity/NaN\"}");
    ASSERT_EQ(state.log_history.size(), 1u);
    const auto& entry = state.log_history[0];
    EXPECT_EQ(entry.step, 3.0);
    EXPECT_FALSE(present(entry.epoch));
    ASSERT_EQ(entry.values.size(), 3u);  // strings, booleans and lists are skipped
    EXPECT_EQ(entry.values[0].first, "loss");
    EXPECT_TRUE(std::isnan(entry.values[0].second));
    EXPECT_EQ(entry.values[1], (std::pair<std::string, double>{"grad_norm", infinity}));
    EXPECT_EQ(entry.values[2], (std::pair<std::string, double>{"x", -infinity}));
    EXPECT_EQ(state.best_metric, -infinity);
    EXPECT_EQ(state.best_model_checkpoint, "Infinity/NaN");  // inside strings nothing is rewritten
}

TEST(HfState, NotJson) {
    EXPECT_EQ(error_of("").rfind("trainer_state.json is not valid JSON: ", 0), 0u);
    EXPECT_EQ(error_of("{\"log_history\": [").rfind("trainer_state.json is not valid JSON: ", 0), 0u);
    EXPECT_EQ(error_of("{\"a\": 1} x").rfind("trainer_state.json is not valid JSON: ", 0), 0u);
    EXPECT_EQ(error_of("{\"a\": nan}").rfind("trainer_state.json is not valid JSON: ", 0), 0u);
    auto message = error_of("{\n\"a\": 1,\n\"b\": NaN,\n\"c\": ?}");
    EXPECT_NE(message.find("(line 4)"), std::string::npos) << message;
    EXPECT_EQ(error_of("[1, 2]"), "trainer_state.json is not a JSON object");
}

TEST(HfState, LogHistoryMissing) {
    EXPECT_EQ(error_of(R"({"global_step": 10})"), "trainer_state.json has no log_history list");
    EXPECT_EQ(error_of(R"({"log_history": {}})"), "trainer_state.json has no log_history list");
    EXPECT_EQ(error_of(R"({"log_history": null})"), "trainer_state.json has no log_history list");
}

TEST(HfState, NonObjectEntriesAreSkipped) {
    auto state = parsed(R"({"log_history": [1, "x", null, [], {"loss": 1.0, "step": 5}, true, {}]})");
    ASSERT_EQ(state.log_history.size(), 2u);
    EXPECT_EQ(state.log_history[0].step, 5.0);
    EXPECT_EQ(values_of(state.log_history[0]), (std::map<std::string, double>{{"loss", 1.0}}));
    EXPECT_FALSE(present(state.log_history[1].step));
    EXPECT_TRUE(state.log_history[1].values.empty());
}

TEST(HfState, LargeIntegers) {
    auto state = parsed(
        R"({"global_step": 18446744073709551615, "log_history": [{"total_flos": 123456789012345678901234567890}]})");
    EXPECT_EQ(state.global_step, 18446744073709551615.0);
    ASSERT_EQ(state.log_history.size(), 1u);
    EXPECT_DOUBLE_EQ(values_of(state.log_history[0]).at("total_flos"), 1.2345678901234568e29);
}

TEST(HfState, CheckpointNames) {
    EXPECT_TRUE(is_checkpoint_name("checkpoint-500"));
    EXPECT_TRUE(is_checkpoint_name("checkpoint-0"));
    EXPECT_FALSE(is_checkpoint_name("checkpoint-"));
    EXPECT_FALSE(is_checkpoint_name("checkpoint-abc"));
    EXPECT_FALSE(is_checkpoint_name("checkpoint-12a"));
    EXPECT_FALSE(is_checkpoint_name("checkpoint-+5"));
    EXPECT_FALSE(is_checkpoint_name("checkpoint500"));
    EXPECT_FALSE(is_checkpoint_name("Checkpoint-500"));
    EXPECT_FALSE(is_checkpoint_name("xcheckpoint-500"));
}

TEST(HfState, NewestCheckpoint) {
    EXPECT_EQ(newest_checkpoint({"checkpoint-500", "checkpoint-1500", "checkpoint-abc", "checkpoint-", "runs"}),
              "checkpoint-1500");
    EXPECT_EQ(newest_checkpoint({"checkpoint-1500", "checkpoint-500"}), "checkpoint-1500");
    EXPECT_EQ(newest_checkpoint({"checkpoint-999", "checkpoint-1000"}), "checkpoint-1000");
    EXPECT_EQ(newest_checkpoint({"checkpoint-abc", "checkpoint-", "trainer_state.json"}), std::nullopt);
    EXPECT_EQ(newest_checkpoint({}), std::nullopt);
    // Numbers too long for an integer still compare exactly.
    EXPECT_EQ(newest_checkpoint({"checkpoint-99999999999999999999999", "checkpoint-100000000000000000000000"}),
              "checkpoint-100000000000000000000000");
    // Leading zeros: the value counts; of two spellings of one number the shorter wins in any order.
    EXPECT_EQ(newest_checkpoint({"checkpoint-0900", "checkpoint-800"}), "checkpoint-0900");
    EXPECT_EQ(newest_checkpoint({"checkpoint-0500", "checkpoint-500"}), "checkpoint-500");
    EXPECT_EQ(newest_checkpoint({"checkpoint-500", "checkpoint-0500"}), "checkpoint-500");
}

TEST(HfState, KeyOfTensorBoardTag) {
    std::string key = "stale";
    hf_key_of_tag("train/loss", key);
    EXPECT_EQ(key, "loss");
    hf_key_of_tag("train/learning_rate", key);
    EXPECT_EQ(key, "learning_rate");
    hf_key_of_tag("train/train_runtime", key);
    EXPECT_EQ(key, "train_runtime");
    hf_key_of_tag("eval/loss", key);
    EXPECT_EQ(key, "eval_loss");
    hf_key_of_tag("eval/samples_per_second", key);
    EXPECT_EQ(key, "eval_samples_per_second");
    hf_key_of_tag("test/accuracy", key);
    EXPECT_EQ(key, "test_accuracy");
    hf_key_of_tag("loss", key);
    EXPECT_EQ(key, "loss");
    hf_key_of_tag("val/loss", key);
    EXPECT_EQ(key, "val/loss");
    hf_key_of_tag("", key);
    EXPECT_EQ(key, "");
}

}  // namespace
}  // namespace ailab::runs::formats
