#include "runs/format.hpp"

#include <algorithm>
#include <array>
#include <cerrno>

#include "runs/formats/ailab_log.hpp"
#include "runs/formats/huggingface.hpp"
#include "runs/formats/lightning.hpp"
#include "runs/formats/tensorboard.hpp"

namespace ailab::runs {

std::string_view format_name(RunFormat format) {
    switch (format) {
    case RunFormat::ailab: return "ailab";
    case RunFormat::huggingface: return "huggingface";
    case RunFormat::lightning: return "lightning";
    case RunFormat::tensorboard: return "tensorboard";
    }
    return "ailab";
}

std::string_view image_type(std::string_view encoded) {
    if (encoded.starts_with("\x89PNG\r\n\x1a\n")) return "image/png";
    if (encoded.starts_with("\xff\xd8\xff")) return "image/jpeg";
    if (encoded.starts_with("GIF87a") || encoded.starts_with("GIF89a")) return "image/gif";
    if (encoded.size() >= 12 && encoded.starts_with("RIFF") && encoded.substr(8, 4) == "WEBP") return "image/webp";
    return "application/octet-stream";
}

bool is_tfevents_name(std::string_view name) { return name.find("tfevents") != std::string_view::npos; }

std::span<const Format> all_formats() {
    // The registry: one line per format. Order does not matter (marker ranks decide).
    static const std::array<Format, 4> formats = {
        formats::ailab_log_format(),
        formats::huggingface_format(),
        formats::lightning_format(),
        formats::tensorboard_format(),
    };
    return formats;
}

const Format& format_of(RunFormat id) {
    auto formats = all_formats();
    auto it = std::ranges::find(formats, id, &Format::id);
    return it != formats.end() ? *it : formats.front();
}

void MarkerChoice::consider(std::string_view name, bool is_folder) {
    for (const Format& format : all_formats()) {
        int rank = format.marker_rank(name, is_folder);
        if (rank <= 0) continue;
        if (rank_ == 0 || rank < rank_ || (rank == rank_ && name < marker_)) {
            rank_ = rank;
            format_ = format.id;
            marker_ = name;
        }
    }
}

namespace {

// Drops the records at end_position and after (what the index has not read yet).
class BoundedSink final : public RecordSink {
public:
    BoundedSink(RecordSink& inner, std::uint64_t end_position) : inner_(inner), end_position_(end_position) {}
    void reset() override { inner_.reset(); }
    void begin_batch() override { inner_.begin_batch(); }
    void end_batch() override { inner_.end_batch(); }
    void record(const ParsedLine& values, std::uint64_t position) override {
        if (position >= end_position_) return;
        inner_.record(values, position);
    }
    void bad_record() override { inner_.bad_record(); }
    void format_params(const boost::json::object& params) override { inner_.format_params(params); }
    void image(RunImage image) override { inner_.image(std::move(image)); }

private:
    RecordSink& inner_;
    std::uint64_t end_position_;
};

}  // namespace

core::Status read_records(RunFormat format, std::string_view marker, const ReadContext& context,
                          std::string_view run_path, std::uint64_t end_position, RecordSink& sink,
                          const ReadBudget& budget) {
    auto reader = format_of(format).make_reader(marker);
    BoundedSink bounded(sink, end_position);
    // A slice at a time, so the budget is checked between slices.
    constexpr std::size_t replay_slice_bytes = std::size_t{8} << 20;
    while (true) {
        if (auto within = budget.check(); !within) return within;
        auto status = reader->read(context, run_path, bounded, replay_slice_bytes);
        if (status == ReadStatus::vanished || status == ReadStatus::unreadable) {
            int cause = status == ReadStatus::vanished ? ENOENT : EIO;
            return core::Error{boost::system::error_code(cause, boost::system::generic_category()), reader->error()};
        }
        if (status != ReadStatus::more) return {};
        if (reader->position() >= end_position) return {};
    }
}

}  // namespace ailab::runs
