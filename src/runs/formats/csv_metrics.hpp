#pragma once
// PyTorch Lightning's CSVLogger writes metrics.csv: the first line is a header of column names
// (whatever keys were logged, "step" and "epoch" among them or not, in any place), then one row per
// log call, blank where the row lacks a key (a train row and a val row at the same step are two
// rows). When a new key appears Lightning rewrites the whole file with a wider header; the caller
// notices that and calls set_header() again.
//
// Pure decoding, no I/O: the caller splits the file into lines (without the '\n'). One CsvMetrics
// per file, used by one thread at a time.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runs/line_parser.hpp"

namespace ailab::runs::formats {

// Splits one CSV line (RFC 4180): fields are separated by ','; a field that starts with '"' is
// quoted, may hold ',' and uses "" for a quote; a trailing '\r' is ignored. A '"' inside an
// unquoted field is kept as text. Newlines inside quotes are not supported: the caller splits by
// lines, so such a field arrives as an unterminated quote.
//
// `fields` is cleared first; an empty line is one empty field. Views point into `line` for plain
// fields and for quoted fields without "", into `scratch` for quoted fields that held "" (scratch
// is cleared and reserved to the line's size first, so it does not move while fields are added;
// both stay valid until `line` or `scratch` changes). Returns false for a malformed line: an
// unterminated quote, or text after a closing quote other than ','.
bool split_csv_line(std::string_view line, std::vector<std::string_view>& fields, std::string& scratch);

// A number in a CSV field: decimal or scientific notation (std::from_chars, so no hex), an optional
// leading '+' or '-', surrounding spaces or tabs allowed, "nan"/"NaN", "inf"/"-inf"/"Infinity" in
// any case. Blank -> nullopt; anything else (text, "1.5abc", "tensor(0.5)") -> nullopt.
std::optional<double> parse_csv_number(std::string_view field);

class CsvMetrics {
public:
    // Reads the header line (a leading UTF-8 byte order mark and a trailing '\r' are dropped, names
    // are trimmed of spaces). Returns false for a blank or malformed header; then columns() is empty
    // and every row is refused as malformed until a good header is set. Column names are copied and
    // stay valid until the next set_header(). Of duplicate names the first keeps its meaning and
    // later ones are ignored; a column with an empty name is ignored.
    bool set_header(std::string_view line);

    const std::vector<std::string>& columns() const { return columns_; }

    enum class RowResult { ok, blank, malformed };

    // One data row -> `out` (cleared first). The "step" column goes to out.step and "epoch" to
    // out.epoch; the first numeric field of the columns "timestamp", "time" and "created_at" goes to
    // out.timestamp in Unix seconds (a number above 1e11 is taken as milliseconds and divided by
    // 1000); every other numeric, non-blank field becomes a metric named by its column (the name is
    // a view into columns(), valid until the next set_header()). Fields that are not numbers (text)
    // are skipped, not errors; so is a non-numeric step, epoch or timestamp.
    //
    // A blank line (empty or only spaces, tabs and '\r') -> blank. A row with more fields than the
    // header, a line split_csv_line() refuses, or any row before a good header -> malformed (out
    // stays cleared). A row with fewer fields than the header reads the missing ones as blank.
    // Allocates nothing once the field vector, the scratch text and out.metrics have grown to the
    // widest row.
    RowResult parse_row(std::string_view line, ParsedLine& out);

private:
    // What a column's values mean, decided once per header.
    enum class Role : std::uint8_t { ignored, step, epoch, timestamp, metric };

    std::vector<std::string> columns_;
    std::vector<Role> roles_;  // one per column
    bool header_valid_ = false;
    std::vector<std::string_view> fields_;  // reused by parse_row()
    std::string scratch_;                   // reused by parse_row() for quoted fields with ""
};

}  // namespace ailab::runs::formats
