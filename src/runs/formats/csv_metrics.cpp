#include "runs/formats/csv_metrics.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

namespace ailab::runs::formats {

namespace {

bool is_blank_char(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_blank_char(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_blank_char(text.back())) text.remove_suffix(1);
    return text;
}

std::string_view without_carriage_return(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

bool is_blank_line(std::string_view line) {
    return std::ranges::all_of(line, [](char c) { return is_blank_char(c) || c == '\r'; });
}

// Lightning's CSVLogger has no timestamp column of its own; these are the names other writers of
// the same layout use.
bool is_timestamp_name(std::string_view name) { return name == "timestamp" || name == "time" || name == "created_at"; }

// Unix seconds from a numeric timestamp field: values above 1e11 (the year 5138 in seconds, 1973
// in milliseconds) are milliseconds.
double unix_seconds(double value) { return value > 1e11 ? value / 1000.0 : value; }

}  // namespace

bool split_csv_line(std::string_view line, std::vector<std::string_view>& fields, std::string& scratch) {
    fields.clear();
    scratch.clear();
    line = without_carriage_return(line);
    // Unescaped quoted fields are shorter than the line, so once reserved scratch never moves and
    // the views already taken into it stay valid.
    scratch.reserve(line.size());
    std::size_t position = 0;
    while (true) {
        if (position < line.size() && line[position] == '"') {
            std::size_t start = position + 1;
            std::size_t scratch_start = scratch.size();
            bool escaped = false;
            std::size_t cursor = start;
            while (true) {
                std::size_t quote = line.find('"', cursor);
                if (quote == std::string_view::npos) return false;  // unterminated quote
                if (quote + 1 < line.size() && line[quote + 1] == '"') {
                    // "" is one quote: copy what came before it and the quote into scratch.
                    if (!escaped) {
                        escaped = true;
                        scratch.append(line.substr(start, quote - start));
                    } else {
                        scratch.append(line.substr(cursor, quote - cursor));
                    }
                    scratch.push_back('"');
                    cursor = quote + 2;
                    continue;
                }
                if (escaped) {
                    scratch.append(line.substr(cursor, quote - cursor));
                    fields.emplace_back(scratch.data() + scratch_start, scratch.size() - scratch_start);
                } else {
                    fields.push_back(line.substr(start, quote - start));
                }
                position = quote + 1;
                break;
            }
            if (position == line.size()) return true;
            if (line[position] != ',') return false;  // text after the closing quote
            ++position;
            continue;
        }
        std::size_t comma = line.find(',', position);
        if (comma == std::string_view::npos) {
            fields.push_back(line.substr(position));
            return true;
        }
        fields.push_back(line.substr(position, comma - position));
        position = comma + 1;
    }
}

std::optional<double> parse_csv_number(std::string_view field) {
    field = trim(field);
    if (field.empty()) return std::nullopt;
    // from_chars takes a leading '-' but not '+'; a second sign after the '+' is still refused.
    if (field.front() == '+') {
        field.remove_prefix(1);
        if (field.empty() || field.front() == '-' || field.front() == '+') return std::nullopt;
    }
    double value = 0;
    const char* end = field.data() + field.size();
    auto [pointer, error] = std::from_chars(field.data(), end, value, std::chars_format::general);
    // A value out of range (1e999) is refused by from_chars; the field is then text to us.
    if (error != std::errc{} || pointer != end) return std::nullopt;
    return value;
}

bool CsvMetrics::set_header(std::string_view line) {
    columns_.clear();
    roles_.clear();
    header_valid_ = false;
    if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    if (is_blank_line(line)) return false;
    if (!split_csv_line(line, fields_, scratch_)) return false;
    columns_.reserve(fields_.size());
    roles_.reserve(fields_.size());
    for (std::string_view field : fields_) {
        std::string_view name = trim(field);
        bool duplicate = false;
        for (const auto& earlier : columns_)
            if (earlier == name) duplicate = true;
        Role role = Role::metric;
        if (name.empty() || duplicate)
            role = Role::ignored;
        else if (name == "step")
            role = Role::step;
        else if (name == "epoch")
            role = Role::epoch;
        else if (is_timestamp_name(name))
            role = Role::timestamp;
        columns_.emplace_back(name);
        roles_.push_back(role);
    }
    header_valid_ = true;
    return true;
}

CsvMetrics::RowResult CsvMetrics::parse_row(std::string_view line, ParsedLine& out) {
    out.clear();
    if (is_blank_line(line)) return RowResult::blank;
    if (!header_valid_) return RowResult::malformed;
    if (!split_csv_line(line, fields_, scratch_)) return RowResult::malformed;
    if (fields_.size() > columns_.size()) return RowResult::malformed;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        Role role = roles_[i];
        if (role == Role::ignored) continue;
        auto value = parse_csv_number(fields_[i]);
        if (!value) continue;  // blank or text
        switch (role) {
        case Role::step: out.step = *value; break;
        case Role::epoch: out.epoch = *value; break;
        case Role::timestamp:
            if (!present(out.timestamp)) out.timestamp = unix_seconds(*value);
            break;
        case Role::metric: out.metrics.push_back(MetricValue{columns_[i], *value}); break;
        case Role::ignored: break;
        }
    }
    return RowResult::ok;
}

}  // namespace ailab::runs::formats
