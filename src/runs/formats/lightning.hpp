#pragma once
// PyTorch Lightning's CSVLogger: `<save_dir>/<name>/version_<n>/metrics.csv` (a header of the
// logged keys, then one row per log call; see csv_metrics.hpp) next to `hparams.yaml`. The file is
// read incrementally by LogReader; record positions are the rows' byte offsets. Lightning rewrites
// the whole file when a new key widens the header: LogReader sees other first bytes, the sink is
// reset and every row is read again under the new header.
//
// Progress: when hparams.yaml holds `max_epochs` (top level, a flat `trainer.max_epochs` key or a
// nested `trainer:` map), rows with an epoch get progress min(1, (epoch + 1) / max_epochs)
// (Lightning counts epochs from 0). hparams.yaml is read once per first read and per reset; its
// values become the run's params elsewhere (ParamsReader), not here.

#include "runs/format.hpp"

namespace ailab::runs::formats {

// id lightning; marker: a file named "metrics.csv" (rank 4); no goals; inotify is enough.
const Format& lightning_format();

}  // namespace ailab::runs::formats
