#include "runs/formats/lightning.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "runs/formats/csv_metrics.hpp"
#include "runs/yaml.hpp"

namespace ailab::runs::formats {

namespace {

constexpr std::string_view metrics_name = "metrics.csv";
constexpr std::string_view hparams_name = "hparams.yaml";
constexpr std::size_t max_hparams_bytes = std::size_t{1} << 20;
constexpr std::size_t log_head_bytes = 64;  // what LogReader compares of a file's start

// A positive number, or nullopt.
std::optional<double> positive_number(const boost::json::value* value) {
    if (value == nullptr) return std::nullopt;
    std::optional<double> number;
    if (value->is_int64()) number = static_cast<double>(value->get_int64());
    if (value->is_uint64()) number = static_cast<double>(value->get_uint64());
    if (value->is_double()) number = value->get_double();
    if (!number || !(*number > 0) || !std::isfinite(*number)) return std::nullopt;
    return number;
}

// max_epochs from hparams.yaml: `max_epochs`, `trainer.max_epochs` or `trainer: {max_epochs}`.
std::optional<double> max_epochs_of(const boost::json::value& hparams) {
    const auto* object = hparams.if_object();
    if (object == nullptr) return std::nullopt;
    if (auto found = positive_number(object->if_contains("max_epochs"))) return found;
    if (auto found = positive_number(object->if_contains("trainer.max_epochs"))) return found;
    if (const auto* trainer = object->if_contains("trainer")) {
        if (const auto* nested = trainer->if_object()) return positive_number(nested->if_contains("max_epochs"));
    }
    return std::nullopt;
}

// What a Lightning reader keeps between reads besides its LogReader: the header and max_epochs.
struct CsvState {
    CsvMetrics csv;
    std::string header;  // the header line as read, without its newline
    std::optional<double> max_epochs;
};

// Reads max_epochs from the run's hparams.yaml; nullopt when it is missing, unreadable, not YAML
// or has no such key.
std::optional<double> read_max_epochs(const ResultsRoot& root, std::string_view run_path) {
    auto text = root.read_small(std::string(run_path) + "/" + std::string(hparams_name), max_hparams_bytes);
    if (!text) return std::nullopt;
    auto hparams = parse_yaml(*text);
    if (!hparams) return std::nullopt;
    return max_epochs_of(*hparams);
}

// Turns the lines LogReader reads into records: the line at offset 0 is the header, every other
// line a row. Lives for one read() call.
class RowRecords final : public LineSink {
public:
    RowRecords(CsvState& state, const ResultsRoot& root, std::string_view run_path, RecordSink& sink)
        : state_(state), root_(root), run_path_(run_path), sink_(sink) {}

    // A first read or a rewritten file: forget the header until the new first line, and read
    // hparams.yaml again (Lightning writes it before metrics.csv).
    void reset() override {
        state_.csv.set_header("");
        state_.header.clear();
        state_.max_epochs = read_max_epochs(root_, run_path_);
        sink_.reset();
    }
    void begin_batch() override { sink_.begin_batch(); }
    void end_batch() override { sink_.end_batch(); }
    void line(std::string_view text, std::uint64_t offset) override;
    void long_line() override { sink_.bad_record(); }

private:
    CsvState& state_;
    const ResultsRoot& root_;
    std::string_view run_path_;
    RecordSink& sink_;
    ParsedLine parsed_;
};

void RowRecords::line(std::string_view text, std::uint64_t offset) {
    if (offset == 0) {
        state_.csv.set_header(text);  // a bad header makes every row malformed (counted below)
        state_.header.assign(text);
        return;
    }
    switch (state_.csv.parse_row(text, parsed_)) {
    case CsvMetrics::RowResult::blank: return;
    case CsvMetrics::RowResult::malformed: sink_.bad_record(); return;
    case CsvMetrics::RowResult::ok: break;
    }
    if (state_.max_epochs && present(parsed_.epoch))
        parsed_.progress = std::min(1.0, (parsed_.epoch + 1) / *state_.max_epochs);
    sink_.record(parsed_, offset);
}

class LightningReader final : public RunReader {
public:
    ReadStatus read(const ReadContext& context, std::string_view run_path, RecordSink& sink,
                    std::size_t max_bytes) override {
        relative_.assign(run_path);
        relative_.push_back('/');
        relative_ += metrics_name;
        if (reader_.offset() > 0 && header_rewritten(context.root)) reader_ = LogReader();  // read again
        RowRecords rows(state_, context.root, run_path, sink);
        return reader_.read(context.root, relative_, context.buffer, rows, max_bytes);
    }
    std::uint64_t position() const override { return reader_.offset(); }
    FileIdentity identity() const override { return reader_.identity(); }
    const std::string& error() const override { return reader_.error(); }
    bool changed_on_disk(const std::string& run_folder) const override {
        auto seen = stat_identity(run_folder + "/" + std::string(metrics_name));
        return !seen || reader_.changed(*seen);
    }

private:
    // LogReader compares the first 64 bytes of the file to notice a rewrite; a header longer than
    // that can change beyond them (Lightning sorts the keys, so a new key may land anywhere), so it
    // is compared here. False when the file cannot be read (LogReader reports that).
    bool header_rewritten(const ResultsRoot& root) {
        if (state_.header.size() + 1 <= log_head_bytes) return false;
        auto opened = root.open_for_reading(relative_);
        if (!opened) return false;
        head_.resize(state_.header.size() + 1);
        auto got = read_at(opened->get(), head_.data(), head_.size(), 0);
        if (!got) return false;
        head_.resize(*got);
        return head_.size() < state_.header.size() + 1 || !head_.starts_with(state_.header) || head_.back() != '\n';
    }

    std::string relative_;
    std::string head_;  // reused by header_rewritten()
    LogReader reader_;
    CsvState state_;
};

int marker_rank(std::string_view name, bool is_folder) { return !is_folder && name == metrics_name ? 4 : 0; }

bool watches(std::string_view name) { return name == metrics_name; }

std::unique_ptr<RunReader> make_reader(std::string_view /*marker*/) { return std::make_unique<LightningReader>(); }

}  // namespace

const Format& lightning_format() {
    static const Format format{RunFormat::lightning, marker_rank, make_reader, watches, false, false};
    return format;
}

}  // namespace ailab::runs::formats
