#pragma once
// AI Lab's own format: a JSON-lines `ailab.log` (preferred) or `log.txt`, read by LogReader and
// parsed line by line with the LineParser (simdjson). Byte offsets are the record positions.

#include "runs/format.hpp"

namespace ailab::runs::formats {

const Format& ailab_log_format();

// Hands the lines LogReader reads to a RecordSink as parsed records (also used by the Lightning
// reader's tests to compare). Blank lines are skipped; a line that is not a JSON object, or one
// longer than max_line_bytes, is a bad record.
class LineRecords final : public LineSink {
public:
    LineRecords(LineParser& parser, RecordSink& sink) : parser_(parser), sink_(sink) {}
    void reset() override { sink_.reset(); }
    void begin_batch() override { sink_.begin_batch(); }
    void end_batch() override { sink_.end_batch(); }
    void line(std::string_view text, std::uint64_t offset) override;
    void long_line() override { sink_.bad_record(); }

private:
    LineParser& parser_;
    RecordSink& sink_;
    ParsedLine parsed_;
};

}  // namespace ailab::runs::formats
