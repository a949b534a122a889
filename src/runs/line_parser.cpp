#include "runs/line_parser.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>

namespace ailab::runs {

static_assert(simdjson::SIMDJSON_PADDING <= line_padding, "LogReader buffers must satisfy simdjson's padding");

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'; }

// Reads exactly `count` digits at text[position]; advances position.
bool read_digits(std::string_view text, std::size_t& position, std::size_t count, int& value) {
    if (position + count > text.size()) return false;
    value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        char c = text[position + i];
        if (!is_digit(c)) return false;
        value = value * 10 + (c - '0');
    }
    position += count;
    return true;
}

// Reads one or more digits; advances position.
bool read_number(std::string_view text, std::size_t& position, long long& value) {
    std::size_t start = position;
    value = 0;
    while (position < text.size() && is_digit(text[position]) && position - start < 18) {
        value = value * 10 + (text[position] - '0');
        ++position;
    }
    return position > start;
}

std::optional<double> parse_plain_number(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (text.empty()) return std::nullopt;
    double value = 0;
    auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec != std::errc() || result.ptr != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

int days_in_month(int year, int month) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(int year, int month, int day) {
    year -= month <= 2;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const unsigned year_of_era = static_cast<unsigned>(year - era * 400);
    const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(day) - 1;
    const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

}  // namespace

// ----------------------------------------------------------------------------------------------
Goal parse_goal(std::string_view goal) {
    Goal result;
    result.plain_train_or_val = goal == "train" || goal == "val";
    std::size_t position = 0;
    while (position < goal.size() && goal[position] == ' ') ++position;
    std::size_t start = position;
    while (position < goal.size() && is_letter(goal[position])) ++position;
    result.phase = position > start ? goal.substr(start, position - start) : goal;
    // The first "a/b" or lone number after the phase is the epoch (of epochs).
    while (position < goal.size() && !is_digit(goal[position])) ++position;
    // Counts beyond int are no epoch anyone runs: left out rather than wrapped to a negative int.
    constexpr long long max_count = std::numeric_limits<int>::max();
    long long epoch = 0;
    if (!read_number(goal, position, epoch) || epoch > max_count) return result;
    result.epoch = static_cast<int>(epoch);
    while (position < goal.size() && goal[position] == ' ') ++position;
    if (position < goal.size() && goal[position] == '/') {
        ++position;
        while (position < goal.size() && goal[position] == ' ') ++position;
        long long epochs = 0;
        if (read_number(goal, position, epochs) && epochs <= max_count) result.epochs = static_cast<int>(epochs);
    }
    return result;
}

// ----------------------------------------------------------------------------------------------
std::optional<double> LocalTimeConverter::to_unix(int year, int month, int day, int hour, int minute, double second) {
    if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second >= 61)
        return std::nullopt;
    std::int64_t key = ((static_cast<std::int64_t>(year) * 100 + month) * 100 + day) * 100 + hour;
    if (key != cached_hour_key_) {
        // Not mktime(): glibc's mktime() re-reads the time zone (a stat() of /etc/localtime) under
        // its global lock on every call, which serialised the cold start's threads. localtime_r()
        // only applies the zone: read the wall time as UTC, subtract the zone's offset at that
        // instant, and once more at the result (right across DST changes but for the skipped or
        // repeated hour, which mktime() can only guess at too).
        static std::once_flag zone_loaded;
        std::call_once(zone_loaded, [] { tzset(); });
        auto offset_at = [](std::int64_t instant) -> std::int64_t {
            std::time_t time = static_cast<std::time_t>(instant);
            std::tm local{};
            if (localtime_r(&time, &local) == nullptr) return 0;
            return local.tm_gmtoff;
        };
        std::int64_t wall = days_from_civil(year, month, day) * 86400 + std::int64_t{hour} * 3600;
        std::int64_t guess = wall - offset_at(wall);
        cached_hour_key_ = key;
        cached_hour_start_ = wall - offset_at(guess);
    }
    return static_cast<double>(cached_hour_start_) + minute * 60.0 + second;
}

namespace {

bool digit_at(std::string_view text, std::size_t position) { return static_cast<unsigned>(text[position] - '0') <= 9; }
int two_digits(std::string_view text, std::size_t position) {
    return (text[position] - '0') * 10 + (text[position + 1] - '0');
}

// The shape nearly every log uses: "YYYY-MM-DD HH:MM:SS" or with 'T', optionally ".ffffff", no zone.
// Inlined into read_fields(), where nearly every line's timestamp takes this path.
[[gnu::always_inline]] inline std::optional<double> parse_common_timestamp(std::string_view text,
                                                                           LocalTimeConverter& converter,
                                                                           bool& matched) {
    matched = false;
    if (text.size() < 19 || text[13] != ':' || text[16] != ':') return std::nullopt;
    // "YYYY-MM-DD HH" against the cached hour: two overlapping 8-byte compares, no memcmp call.
    auto load8 = [](const char* bytes) {
        std::uint64_t word;
        std::memcpy(&word, bytes, sizeof word);
        return word;
    };
    bool same_hour = converter.hour_text_valid && ((load8(text.data()) ^ load8(converter.hour_text)) |
                                                   (load8(text.data() + 5) ^ load8(converter.hour_text + 5))) == 0;
    if (!same_hour) {
        if (text[4] != '-' || text[7] != '-' || (text[10] != ' ' && text[10] != 'T')) return std::nullopt;
        for (std::size_t position : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12}) {
            if (!digit_at(text, position)) return std::nullopt;
        }
    }
    if (!digit_at(text, 14) || !digit_at(text, 15) || !digit_at(text, 17) || !digit_at(text, 18)) return std::nullopt;
    double fraction = 0;
    if (text.size() > 19) {
        if (text[19] != '.' || text.size() == 20 || text.size() > 29) return std::nullopt;
        // Digits as one integer, then one multiplication (a division's latency showed in profiles;
        // the difference is far below a timestamp's last bit).
        static constexpr double negative_powers_of_ten[] = {1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9};
        std::uint32_t digits = 0;
        for (std::size_t position = 20; position < text.size(); ++position) {
            if (!digit_at(text, position)) return std::nullopt;
            digits = digits * 10 + static_cast<std::uint32_t>(text[position] - '0');
        }
        fraction = digits * negative_powers_of_ten[text.size() - 20];
    }
    int minute = two_digits(text, 14);
    int second = two_digits(text, 17);
    if (minute > 59 || second > 60) return std::nullopt;
    matched = true;
    if (same_hour) return converter.hour_text_start + minute * 60.0 + second + fraction;
    int year = two_digits(text, 0) * 100 + two_digits(text, 2);
    auto hour_start = converter.to_unix(year, two_digits(text, 5), two_digits(text, 8), two_digits(text, 11), 0, 0);
    if (!hour_start) return std::nullopt;
    std::memcpy(converter.hour_text, text.data(), 13);
    converter.hour_text_valid = true;
    converter.hour_text_start = *hour_start;
    return *hour_start + minute * 60.0 + second + fraction;
}

}  // namespace

std::optional<double> parse_timestamp(std::string_view text, LocalTimeConverter& converter) {
    bool matched = false;
    auto common = parse_common_timestamp(text, converter, matched);
    if (matched) return common;
    std::size_t position = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, whole_second = 0;
    if (!read_digits(text, position, 4, year) || position >= text.size() || text[position++] != '-')
        return std::nullopt;
    if (!read_digits(text, position, 2, month) || position >= text.size() || text[position++] != '-')
        return std::nullopt;
    if (!read_digits(text, position, 2, day)) return std::nullopt;
    double fraction = 0;
    if (position < text.size() && (text[position] == ' ' || text[position] == 'T' || text[position] == 't')) {
        ++position;
        if (!read_digits(text, position, 2, hour) || position >= text.size() || text[position++] != ':')
            return std::nullopt;
        if (!read_digits(text, position, 2, minute)) return std::nullopt;
        if (position < text.size() && text[position] == ':') {
            ++position;
            if (!read_digits(text, position, 2, whole_second)) return std::nullopt;
            if (position < text.size() && (text[position] == '.' || text[position] == ',')) {
                ++position;
                double scale = 0.1;
                std::size_t digits = 0;
                while (position < text.size() && is_digit(text[position])) {
                    if (digits < 9) fraction += (text[position] - '0') * scale;
                    scale *= 0.1;
                    ++digits;
                    ++position;
                }
                if (digits == 0) return std::nullopt;
            }
        }
    }
    // Optional zone: Z or +HH:MM / -HHMM makes the time exact instead of local.
    std::optional<int> offset_seconds;
    if (position < text.size() && (text[position] == 'Z' || text[position] == 'z')) {
        offset_seconds = 0;
        ++position;
    } else if (position < text.size() && (text[position] == '+' || text[position] == '-')) {
        int sign = text[position++] == '-' ? -1 : 1;
        int offset_hours = 0, offset_minutes = 0;
        if (!read_digits(text, position, 2, offset_hours)) return std::nullopt;
        if (position < text.size() && text[position] == ':') ++position;
        if (position < text.size() && !read_digits(text, position, 2, offset_minutes)) return std::nullopt;
        offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
    }
    if (position != text.size()) return std::nullopt;
    if (offset_seconds) {
        if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
            whole_second > 60)
            return std::nullopt;
        double seconds = static_cast<double>(days_from_civil(year, month, day)) * 86400.0 + hour * 3600.0 +
                         minute * 60.0 + whole_second + fraction;
        return seconds - *offset_seconds;
    }
    return converter.to_unix(year, month, day, hour, minute, whole_second + fraction);
}

namespace {

// The common "H:MM:SS" / "HH:MM:SS"; false for any other form. Inlined into read_fields().
[[gnu::always_inline]] inline bool parse_common_duration(std::string_view text, double& out) {
    if (text.size() < 7 || text.size() > 8) return false;
    std::size_t h = text.size() - 6;  // hour digits
    auto digit = [&](std::size_t i) { return static_cast<unsigned>(text[i] - '0') <= 9; };
    if (!(digit(0) && (h == 1 || digit(1)) && text[h] == ':' && digit(h + 1) && digit(h + 2) && text[h + 3] == ':' &&
          digit(h + 4) && digit(h + 5)))
        return false;
    int hours = h == 1 ? text[0] - '0' : (text[0] - '0') * 10 + (text[1] - '0');
    int minutes = (text[h + 1] - '0') * 10 + (text[h + 2] - '0');
    int seconds = (text[h + 4] - '0') * 10 + (text[h + 5] - '0');
    out = hours * 3600.0 + minutes * 60.0 + seconds;
    return true;
}

}  // namespace

std::optional<double> parse_duration(std::string_view text) {
    if (double seconds = 0; parse_common_duration(text, seconds)) return seconds;
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (text.empty()) return std::nullopt;
    if (text.find(':') == std::string_view::npos) {
        auto value = parse_plain_number(text);
        if (!value || *value < 0) return std::nullopt;
        return value;
    }
    double days = 0;
    // Python's timedelta: "2 days, 1:02:03" or "1 day, 1:02:03".
    if (auto day_word = text.find("day"); day_word != std::string_view::npos) {
        auto count = parse_plain_number(text.substr(0, day_word));
        if (!count || *count < 0) return std::nullopt;
        days = *count;
        auto comma = text.find(',', day_word);
        if (comma == std::string_view::npos) return std::nullopt;
        text.remove_prefix(comma + 1);
        while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    }
    double parts[3] = {0, 0, 0};
    int count = 0;
    while (true) {
        auto colon = text.find(':');
        auto part = text.substr(0, colon);
        if (count == 3 || part.empty()) return std::nullopt;
        auto value = parse_plain_number(part);
        if (!value || *value < 0) return std::nullopt;
        parts[count++] = *value;
        if (colon == std::string_view::npos) break;
        text.remove_prefix(colon + 1);
    }
    if (count < 2) return std::nullopt;
    double seconds = count == 3 ? parts[0] * 3600 + parts[1] * 60 + parts[2] : parts[0] * 60 + parts[1];
    // Each part is finite, but "1e308:0:0" or "1e308 days, 0:00" overflow once multiplied.
    const double total = days * 86400 + seconds;
    if (!std::isfinite(total)) return std::nullopt;
    return total;
}

// ----------------------------------------------------------------------------------------------
void ParsedLine::clear() {
    timestamp = absent;
    has_goal = false;
    goal = {};
    progress = eta = score = epoch = step = job_id = absent;
    metrics.clear();
}

struct LineParser::Implementation {
    simdjson::dom::parser parser{max_line_bytes + 64};
    simdjson::dom::element document;
    simdjson::dom::object object;  // the document as an object, for read_fields()
    std::string scratch;           // padded copies for parse() and for the NaN rewrite
};

LineParser::LineParser() : implementation_(std::make_unique<Implementation>()) {}
LineParser::~LineParser() = default;

LineError LineParser::parse(std::string_view line, ParsedLine& out) {
    auto& scratch = implementation_->scratch;
    scratch.assign(line);
    scratch.append(line_padding, '\0');
    return parse_padded(std::string_view(scratch.data(), line.size()), out);
}

namespace {

// Python's json.dumps writes NaN, Infinity and -Infinity, which are not JSON. Rewrites them (outside
// strings) to null so the rest of such a line is kept. Returns false when there was nothing to do.
bool rewrite_non_finite(std::string_view line, std::string& out) {
    out.clear();
    bool in_string = false;
    bool changed = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (in_string) {
            out.push_back(c);
            if (c == '\\' && i + 1 < line.size())
                out.push_back(line[++i]);
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
            out.push_back(c);
            continue;
        }
        auto rest = line.substr(i);
        std::size_t length = 0;
        if (rest.starts_with("NaN"))
            length = 3;
        else if (rest.starts_with("Infinity"))
            length = 8;
        else if (rest.starts_with("-Infinity"))
            length = 9;
        if (length) {
            out.append("null");
            i += length - 1;
            changed = true;
        } else {
            out.push_back(c);
        }
    }
    return changed;
}

}  // namespace

LineError LineParser::parse_padded(std::string_view line, ParsedLine& out) {
    out.clear();
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t first = 0;
    while (first < line.size() && (line[first] == ' ' || line[first] == '\t')) ++first;
    if (first == line.size()) return LineError::blank;
    if (line.size() > max_line_bytes) return LineError::too_long;
    auto error = parse_document(line.data(), line.size(), out);
    if (error == LineError::invalid_json && line.find_first_of("NI") != std::string_view::npos) {
        std::string rewritten;
        if (rewrite_non_finite(line, rewritten)) {
            auto& scratch = implementation_->scratch;
            scratch = std::move(rewritten);
            auto length = scratch.size();
            scratch.append(line_padding, '\0');
            out.clear();
            error = parse_document(scratch.data(), length, out);
        }
    }
    if (error != LineError::none) out.clear();
    return error;
}

LineError LineParser::parse_document(const char* data, std::size_t length, ParsedLine& out) {
    auto& implementation = *implementation_;
    auto error = implementation.parser.parse(data, length, false).get(implementation.document);
    if (error == simdjson::UTF8_ERROR) return LineError::invalid_utf8;
    if (error) return LineError::invalid_json;
    if (implementation.document.get_object().get(implementation.object)) return LineError::not_object;
    read_fields(out);
    return LineError::none;
}

namespace {

// A key of known length against a literal: a fixed-size compare the compiler turns into loads.
template <std::size_t N>
bool key_is(std::string_view key, const char (&literal)[N]) {
    return std::memcmp(key.data(), literal, N - 1) == 0;
}

}  // namespace

void LineParser::read_fields(ParsedLine& out) {
    const simdjson::dom::object& object = implementation_->object;  // set by parse_document()
    for (auto field = object.begin(), end = object.end(); field != end; ++field) {
        std::string_view key = field.key();
        simdjson::dom::element value = field.value();
        // One tape look-up decides numeric or not (double, int64 and uint64 all convert); strings
        // are only read for the three fields that can be strings.
        double number = absent;
        if (value.get_double().get(number) || !std::isfinite(number)) number = absent;
        // Known fields by length, then first byte, then a fixed-size compare.
        switch (key.size()) {
        case 9:
            if (key[0] == 't' && key_is(key, "timestamp")) {
                std::string_view text;
                if (!value.get_string().get(text)) {
                    bool matched = false;
                    auto time = parse_common_timestamp(text, time_converter_, matched);
                    if (!matched) time = parse_timestamp(text, time_converter_);
                    if (time) out.timestamp = *time;
                } else if (present(number)) {
                    // Unix seconds; values this large are milliseconds.
                    out.timestamp = number > 1e11 ? number / 1000.0 : number;
                }
                continue;
            }
            break;
        case 4:
            if (key[0] == 'g' && key_is(key, "goal")) {
                std::string_view text;
                if (!value.get_string().get(text)) {
                    out.has_goal = true;
                    out.goal = text;
                }
                continue;
            }
            if (key[0] == 's' && key_is(key, "step")) {
                out.step = number;
                continue;
            }
            break;
        case 6:
            if (key[0] == 'j' && key_is(key, "job_id")) {
                out.job_id = number;  // not a metric
                continue;
            }
            break;
        case 8:
            if (key[0] == 'p' && key_is(key, "progress")) {
                out.progress = number;
                continue;
            }
            break;
        case 3:
            if (key[0] == 'e' && key_is(key, "eta")) {
                std::string_view text;
                if (!value.get_string().get(text)) {
                    double seconds = 0;
                    if (parse_common_duration(text, seconds)) {
                        out.eta = seconds;
                    } else if (auto other = parse_duration(text)) {
                        out.eta = *other;
                    }
                } else if (present(number) && number >= 0) {
                    out.eta = number;
                }
                continue;
            }
            break;
        case 5:
            if (key[0] == 'e' && key_is(key, "epoch")) {
                out.epoch = number;
                continue;
            }
            if (key[0] == 's' && key_is(key, "score")) out.score = number;  // and a metric as well
            break;
        default: break;
        }
        if (present(number)) out.metrics.push_back(MetricValue{key, number});
    }
}

std::string_view simdjson_kernel_name() {
    // The DOM parser dispatches through the active implementation, chosen for this CPU at run time.
    static const std::string name = simdjson::get_active_implementation()->name();
    return name;
}

}  // namespace ailab::runs
