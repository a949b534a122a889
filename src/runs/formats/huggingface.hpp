#pragma once
// Hugging Face transformers' Trainer: an output folder with `checkpoint-<step>/trainer_state.json`
// folders (and `trainer_state.json` itself once training ends), see hf_state.hpp, and, with the
// TensorBoard callback, `runs/<date>_<host>/events.out.tfevents.*` written at every log call.
//
// What the reader hands over:
// - The log_history of one trainer_state.json, one record per entry (step, epoch and the entry's
//   keys as written: loss, learning_rate, grad_norm, eval_loss, ...). The file is the one with the
//   larger global_step of the root's and the newest checkpoint's (the root wins ties: the Trainer
//   writes it last). A newest checkpoint still without its trainer_state.json (being written) is
//   passed over for the one before it. A state whose log_history extends the last one read (the
//   same steps in front) adds only its new entries; a shorter one, or one whose steps differ (a
//   restart from an earlier checkpoint), resets the sink and is read whole.
// - Between checkpoints, the scalars of the newest runs/ subfolder's event files (by the mtime of
//   their newest file; the files in name order) for steps past the state's last step, with tags
//   mapped to the state's keys (hf_key_of_tag: "train/loss" -> "loss", "eval/loss" ->
//   "eval_loss"; "train/epoch" becomes the record's epoch). The events of one step that arrive in
//   one read are one record. When the next state arrives, its entries at steps the events showed
//   are skipped (the same values), except the keys the events had not shown yet at the last event
//   step; so a fresh reader ends with the same points as one that followed the run.
// - Progress on the last state record of a read: global_step / max_steps when max_steps is known,
//   and the goal "done" once global_step reaches it; event records get step / max_steps. No
//   timestamps (log_history has none; the files' mtime stands in, see identity()).
//
// Positions: one counter of records emitted since the last reset; a record's position is the count
// before it (0, 1, 2, ...), so it interleaves both sources and stays below position(), as byte
// offsets do for logs. A restart (steps that went back), or a new runs/ subfolder after records
// from the old one's events, resets the sink and reads everything again.

#include "runs/format.hpp"

namespace ailab::runs::formats {

// id huggingface; markers: a file "trainer_state.json" or a folder "checkpoint-<digits>" (rank 3);
// no goals written by the run itself; polled (the files change in subfolders).
const Format& huggingface_format();

}  // namespace ailab::runs::formats
