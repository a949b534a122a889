#pragma once
// The seam between the run formats and the rest of runs/ (issue 13). A format says which entries
// of a folder mark it as one of its runs, and makes the reader that turns the run's files into
// records: the same ParsedLine values an `ailab.log` line gives, in the order the files hold them.
// Discovery, the indexer, the cold start, replay, the states, the API and the WebSocket events are
// shared by every format.
//
// Adding a format: one file in formats/ that defines its `Format` (a reader class and four small
// functions), plus one line in all_formats() (format.cpp).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/error.hpp"
#include "runs/line_parser.hpp"
#include "runs/log_reader.hpp"
#include "runs/results_root.hpp"

namespace ailab::runs {

enum class RunFormat { ailab, huggingface, lightning, tensorboard };
std::string_view format_name(RunFormat format);  // "ailab", "huggingface", "lightning", "tensorboard"

// One image of a run's event files, listed for the gallery; its bytes are read again on request
// from `file` (below the run's folder) at `offset`.
struct RunImage {
    std::string tag;
    double step = 0;
    double wall_time = 0;
    int width = 0;
    int height = 0;
    std::string file;  // relative to the run's folder
    std::uint64_t offset = 0;
    std::uint64_t bytes = 0;
    std::string type;  // "image/png", "image/jpeg", "image/gif", "application/octet-stream"
};
// The media type of an encoded image from its first bytes.
std::string_view image_type(std::string_view encoded);

// Receives what a reader finds, in order.
class RecordSink {
public:
    virtual ~RecordSink() = default;
    // The files were replaced, rewritten, or their steps went back: forget every record; what
    // follows is read from the start.
    virtual void reset() = 0;
    // Around each batch of records, so the sink can take a lock once per batch.
    virtual void begin_batch() {}
    virtual void end_batch() {}
    // One record. `position` grows with every record (a byte offset for logs, a count otherwise).
    // The metric names in `values` are valid during the call.
    virtual void record(const ParsedLine& values, std::uint64_t position) = 0;
    // A record that could not be read (bad JSON line, bad CRC, malformed row): counted in errors.
    virtual void bad_record() = 0;
    // Params the format's own files carry (TensorBoard's hparams), flattened by the caller.
    virtual void format_params(const boost::json::object& params) { (void)params; }
    // An image for the gallery.
    // By value: the sinks that keep an image move it in. NOLINTNEXTLINE(performance-unnecessary-value-param)
    virtual void image(RunImage image) { (void)image; }
};

// What a reader may use during one read: the results root (every open goes through it), the
// thread's read buffer and line parser.
struct ReadContext {
    const ResultsRoot& root;
    ReadBuffer& buffer;
    LineParser& parser;
};

// Reads one run's files incrementally: each call hands over what is new since the last one.
// Worker thread only (or a replay's own instance on a route's thread).
class RunReader {
public:
    virtual ~RunReader() = default;
    // Reads what is new in the run at `run_path` (below results), at most about max_bytes.
    // ReadStatus::more: call again. vanished: the format's marker is gone.
    virtual ReadStatus read(const ReadContext& context, std::string_view run_path, RecordSink& sink,
                            std::size_t max_bytes) = 0;
    // Where the next read goes on (bytes read for byte-positioned formats).
    virtual std::uint64_t position() const = 0;
    // What the reader last saw of its main file (size and mtime stand in for the run's files).
    virtual FileIdentity identity() const = 0;
    // The error text of the last vanished/unreadable result.
    virtual const std::string& error() const = 0;
    // For stat() polling: whether the files at `run_folder` (absolute) may differ from what was
    // read. May list the folder; never reads file contents.
    virtual bool changed_on_disk(const std::string& run_folder) const = 0;
};

// One format. Functions, not virtuals: a format is a constant in a table.
struct Format {
    RunFormat id;
    // How strongly a folder entry marks a run of this format: 0 = not at all; else a global rank,
    // lower wins across formats (ailab.log 1, log.txt 2, trainer_state.json/checkpoint-N 3,
    // metrics.csv 4, *tfevents* 5). `is_folder`: the entry is a folder.
    int (*marker_rank)(std::string_view name, bool is_folder);
    // The reader of a run marked by `marker`.
    std::unique_ptr<RunReader> (*make_reader)(std::string_view marker);
    // Whether an inotify event on `name` in the run's folder means the run's records may have changed.
    bool (*watches)(std::string_view name);
    // Whether the format writes goals ("train 3/10", "done"): the ailab log does; the others have
    // no goal field, so their states follow the idle rules (run_state.hpp).
    bool writes_goals;
    // Whether the run must be stat()-polled even when inotify watches its folder (files written in
    // subfolders the watch does not see: checkpoint-N/trainer_state.json, runs/<date>/ event files).
    bool needs_polling;
};

std::span<const Format> all_formats();
const Format& format_of(RunFormat id);

// The best marker among a folder's entries: consider() is fed every entry; the lowest rank wins
// (ties go to the smaller name, so the choice does not depend on listing order).
class MarkerChoice {
public:
    void consider(std::string_view name, bool is_folder);
    bool found() const { return rank_ > 0; }
    RunFormat format() const { return format_; }
    const std::string& marker() const { return marker_; }

private:
    int rank_ = 0;
    RunFormat format_ = RunFormat::ailab;
    std::string marker_;
};

// Replay: the records of a run read again from disk by a fresh reader, those before
// `end_position` (UINT64_MAX: all), within the budget, into sink. A reset() may come (steps that
// went back) and means "forget what came before". Error: unreadable, vanished, or out of budget.
core::Status read_records(RunFormat format, std::string_view marker, const ReadContext& context,
                          std::string_view run_path, std::uint64_t end_position, RecordSink& sink,
                          const ReadBudget& budget);

// The names of event files: anything containing "tfevents" (TensorBoard's rule).
bool is_tfevents_name(std::string_view name);

}  // namespace ailab::runs
