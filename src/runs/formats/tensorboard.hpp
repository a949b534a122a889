#pragma once
// TensorBoard event files (PyTorch's SummaryWriter, TensorFlow, JAX writers): a run is the folder
// that holds files whose name contains "tfevents", as TensorBoard has it.
//
// - The run folder's event files are read in name order (TensorBoard's order: their names start
//   with the time they were opened), each tailed by an EventFileTail (a truncated last record
//   waits; bad CRCs and malformed events are counted as bad records).
// - Positions are bytes: a file's records sit at (the bytes read of the files before it) + their
//   offset in the file. A file earlier than the last one that grows or is replaced, or a file
//   that disappears or appears before the last one, resets the sink and everything is read again.
// - One record per event with scalars: its step, wall time and the tags as written ("loss/train").
// - Images (Summary.Image, the images plugin) go to the sink with the offset of their encoded
//   bytes in the file.
// - One level of sub-folders is read for hparams only. PyTorch's add_hparams writes
//   `<logdir>/<time>/events…` with a session_start_info: it becomes the run's params
//   (format_params); a session_start_info in the run folder's own files counts too (TensorFlow's
//   hp.hparams), and the last one found wins (run folder first, then the sub-folders in name
//   order). The scalars and images of a sub-folder are not this run's records: add_hparams puts
//   its metrics there (the hparams session's copy of them), and add_scalars one series per folder.
// - Steps that go back, as TensorBoard purges them: a SessionLog START at step s (PyTorch's
//   SummaryWriter(purge_step=s) writes one) drops the earlier points of every tag whose step is
//   >= s; a tag whose step is lower than its previous one (a job restarted from a checkpoint)
//   drops that tag's earlier points whose step is >= the new step. Each tag is compared with
//   itself, so `val/acc` logged per epoch next to `train/loss` per batch purges nothing. The reader
//   keeps the purge points it found (position, step); on a new one it resets the sink and reads
//   everything again within the same read(), dropping each point that a later purge point
//   covers. A fresh reader (replay) finds the same purge points, so it ends with the same points.
// - Histograms, audio, text and graphs are skipped (tf_event.hpp).
//
// Not thread-safe: one reader per run, used by one thread at a time (RunReader).

#include "runs/format.hpp"

namespace ailab::runs::formats {

// id tensorboard; marker: a file (not a folder) whose name contains "tfevents" (rank 5); inotify
// events on such names; no goals; not polled (the run folder's own files are the records).
const Format& tensorboard_format();

}  // namespace ailab::runs::formats
