#pragma once
// Hugging Face transformers' Trainer writes trainer_state.json into each checkpoint-<step> folder
// (and into the output folder when training ends): the run's position (global_step, max_steps,
// epoch, ...) and log_history, one object per log call:
//
//     {"epoch": 0.5, "grad_norm": 1.23, "learning_rate": 4.5e-05, "loss": 2.31, "step": 500}
//     {"epoch": 1.0, "eval_loss": 1.9, "eval_runtime": 12.3, "step": 1000}
//
// The file is written by Python's json module, which writes NaN, Infinity and -Infinity bare (not
// JSON); they are read as the values they stand for.
//
// Pure functions, no I/O; any thread.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "runs/line_parser.hpp"

namespace ailab::runs::formats {

// One entry of log_history.
struct HfLogEntry {
    double step = absent;   // "step" when it is a number
    double epoch = absent;  // "epoch" when it is a number
    // Every other numeric field, in the file's order, NaN and infinities included. Booleans,
    // strings, null, objects and lists are skipped.
    std::vector<std::pair<std::string, double>> values;
};

struct HfTrainerState {
    // Each is nullopt when missing, null or not a number; max_steps is nullopt too when it is not
    // above 0 (0 means the Trainer did not know it).
    std::optional<double> global_step, max_steps, epoch, num_train_epochs, logging_steps, save_steps;
    std::optional<std::string> best_model_checkpoint;  // nullopt when missing, null or not a string
    std::optional<double> best_metric;                 // nullopt when missing, null or not a number
    std::vector<HfLogEntry> log_history;               // entries that are not objects are skipped
};

// Parses trainer_state.json. Errors (core::Error::invalid) say what is wrong:
// "trainer_state.json is not valid JSON: <reason> (line N)", "trainer_state.json is not a JSON
// object", "trainer_state.json has no log_history list".
core::Result<HfTrainerState> parse_trainer_state(std::string_view json);

// Whether a folder name is "checkpoint-<digits>" (at least one ASCII digit, nothing after).
bool is_checkpoint_name(std::string_view name);

// Of folder entry names, the checkpoint folder with the largest number ("checkpoint-1500" beats
// "checkpoint-500"; numbers of any length compare exactly). Names that are not checkpoint names
// are ignored; nullopt when none is. Two spellings of one number ("checkpoint-0500" and
// "checkpoint-500") resolve to the shorter, so the answer does not depend on the names' order.
std::optional<std::string> newest_checkpoint(const std::vector<std::string>& names);

// HF's TensorBoard callback logs the same values under the tags "train/<key>", "eval/<key>" (for
// the key "eval_<key>") and "test/<key>" (for "test_<key>"). Maps a tfevents tag back to the
// trainer_state key: "train/loss" -> "loss", "eval/loss" -> "eval_loss", "test/loss" ->
// "test_loss"; any other tag is unchanged. `out` is cleared first.
void hf_key_of_tag(std::string_view tag, std::string& out);

}  // namespace ailab::runs::formats
