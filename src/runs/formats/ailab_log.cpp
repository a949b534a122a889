#include "runs/formats/ailab_log.hpp"

#include <string>

#include "runs/discovery.hpp"

namespace ailab::runs::formats {

void LineRecords::line(std::string_view text, std::uint64_t offset) {
    auto error = parser_.parse_padded(text, parsed_);
    if (error == LineError::blank) return;
    if (error != LineError::none) {
        sink_.bad_record();
        return;
    }
    sink_.record(parsed_, offset);
}

namespace {

class AilabReader final : public RunReader {
public:
    explicit AilabReader(std::string_view marker) : marker_(marker) {}

    ReadStatus read(const ReadContext& context, std::string_view run_path, RecordSink& sink,
                    std::size_t max_bytes) override {
        relative_.assign(run_path);
        relative_.push_back('/');
        relative_ += marker_;
        LineRecords lines(context.parser, sink);
        return reader_.read(context.root, relative_, context.buffer, lines, max_bytes);
    }
    std::uint64_t position() const override { return reader_.offset(); }
    FileIdentity identity() const override { return reader_.identity(); }
    const std::string& error() const override { return reader_.error(); }
    bool changed_on_disk(const std::string& run_folder) const override {
        auto seen = stat_identity(run_folder + "/" + marker_);
        return !seen || reader_.changed(*seen);
    }

private:
    std::string marker_;
    std::string relative_;
    LogReader reader_;
};

int marker_rank(std::string_view name, bool is_folder) {
    if (is_folder) return 0;
    if (name == log_file_names[0]) return 1;
    if (name == log_file_names[1]) return 2;
    return 0;
}

bool watches(std::string_view name) { return name == log_file_names[0] || name == log_file_names[1]; }

std::unique_ptr<RunReader> make_reader(std::string_view marker) { return std::make_unique<AilabReader>(marker); }

}  // namespace

const Format& ailab_log_format() {
    static const Format format{RunFormat::ailab, marker_rank, make_reader, watches, true, false};
    return format;
}

}  // namespace ailab::runs::formats
