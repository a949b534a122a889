#pragma once
// Parses one line of a run log (a JSON object) into plain values. The known fields are timestamp,
// goal, progress, eta, score, epoch and step; every other numeric field is a metric (score is a
// metric too, so it can be charted).
//
// Hot path: one LineParser per thread, reused for every line; parsing allocates nothing once the
// parser has seen its longest line (metric names and the goal are views into the parser's
// document and stay valid until the next parse). It uses simdjson's DOM API, which picks the best
// kernel for this CPU at run time (On-Demand in Debian's simdjson 3.0.1 would be fixed to the
// scalar fallback kernel by our compile flags).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace ailab::runs {

// Lines longer than this are counted as bad and skipped without being parsed.
inline constexpr std::size_t max_line_bytes = std::size_t{1} << 20;
// A line handed to parse_padded() must have this many readable bytes after its end.
inline constexpr std::size_t line_padding = 64;

inline constexpr double absent = std::numeric_limits<double>::quiet_NaN();
inline bool present(double value) { return !std::isnan(value); }

enum class LineError { none, blank, too_long, invalid_json, not_object, invalid_utf8 };

// "train 3/10" -> phase "train", epoch 3, epochs 10. "warmup…" -> phase "warmup". A count too large
// for an int is left out, so epoch and epochs are never negative.
struct Goal {
    std::string_view phase;  // the leading word (letters, '_', '-'); the whole goal when it has none
    std::optional<int> epoch;
    std::optional<int> epochs;
    bool plain_train_or_val = false;  // the goal is exactly "train" or "val"
};
Goal parse_goal(std::string_view goal);

// Converts local wall-clock times to Unix seconds. Logs carry the writer's local time without a
// zone; we read them as the server's local time (the TZ variable or /etc/localtime, loaded once).
// The start of the last hour seen is cached (lines arrive in time order, so almost every line
// hits the cache); a miss costs two localtime_r() calls, no system call.
class LocalTimeConverter {
public:
    // Returns nullopt for an impossible date.
    std::optional<double> to_unix(int year, int month, int day, int hour, int minute, double second);

    // The text "YYYY-MM-DD HH" of the hour last converted from a timestamp, and its start, so the
    // next timestamp in that hour only needs its minutes and seconds read.
    char hour_text[13] = {};
    bool hour_text_valid = false;
    double hour_text_start = 0;

private:
    std::int64_t cached_hour_key_ = -1;
    std::int64_t cached_hour_start_ = 0;
};

// "2024-01-02 10:00:00.123456", "2024-01-02T10:00:00", optionally with "Z" or "+01:00" (then it is
// exact), or the date alone. Returns Unix seconds.
std::optional<double> parse_timestamp(std::string_view text, LocalTimeConverter& converter);

// "1:02:03", "1:02:03.5", "02:03", "2 days, 1:02:03", "1 day, 0:00:01", or "3600"/"3600.5" -> seconds,
// finite and not negative; nullopt for anything else (a duration too long for a double included).
std::optional<double> parse_duration(std::string_view text);

struct MetricValue {
    std::string_view name;
    double value;
};

// One parsed line. Doubles are `absent` (NaN) when the field was missing or of the wrong type.
struct ParsedLine {
    double timestamp = absent;  // Unix seconds
    bool has_goal = false;
    std::string_view goal;
    double progress = absent;
    double eta = absent;  // seconds
    double score = absent;
    double epoch = absent;  // the numeric "epoch" field
    double step = absent;
    double job_id = absent;            // "job_id": the AI Lab job that wrote the run (ailab_log.py sets it)
    std::vector<MetricValue> metrics;  // capacity is kept between lines

    void clear();
};

class LineParser {
public:
    LineParser();
    ~LineParser();
    LineParser(const LineParser&) = delete;
    LineParser& operator=(const LineParser&) = delete;

    // `line` excludes the newline; a trailing '\r' is ignored. Its bytes from line.data() up to
    // line.data() + line.size() + line_padding must be readable (true inside LogReader buffers).
    LineError parse_padded(std::string_view line, ParsedLine& out);
    // Same, for any string (copies it into an internal padded buffer).
    LineError parse(std::string_view line, ParsedLine& out);

    LocalTimeConverter& time_converter() { return time_converter_; }

private:
    LineError parse_document(const char* data, std::size_t length, ParsedLine& out);
    void read_fields(ParsedLine& out);

    struct Implementation;
    std::unique_ptr<Implementation> implementation_;
    LocalTimeConverter time_converter_;
};

// The name of the simdjson kernel the DOM parser uses on this machine ("icelake", "haswell", ...).
std::string_view simdjson_kernel_name();

}  // namespace ailab::runs
