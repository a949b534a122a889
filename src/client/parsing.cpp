#include "client/parsing.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/strings.hpp"

namespace ailab::client {
namespace {

bool parse_non_negative(std::string_view text, std::int64_t& value) {
    if (text.empty()) return false;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc{} && end == text.data() + text.size() && value >= 0;
}

}  // namespace

core::Result<std::int64_t> parse_duration_seconds(std::string_view text) {
    auto invalid = [&](std::string_view why) {
        return core::Error::invalid("bad duration \"" + std::string(text) + "\": " + std::string(why) +
                                    " (examples: 90, 90s, 30m, 2h, 1d, 1h30m)");
    };
    constexpr std::int64_t max_seconds = std::int64_t{10} * 366 * 24 * 3600;
    if (text.empty()) return invalid("empty");
    std::int64_t plain = 0;
    if (parse_non_negative(text, plain)) {
        if (plain == 0) return invalid("it must be longer than zero");
        if (plain > max_seconds) return invalid("longer than 10 years");
        return plain;
    }
    static constexpr std::pair<char, std::int64_t> units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    std::size_t next_unit = 0;  // units must come from the largest down, each once
    std::int64_t total = 0;
    std::size_t position = 0;
    while (position < text.size()) {
        std::size_t digits = position;
        while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
        if (digits == position) return invalid("a number must come before each unit");
        if (digits == text.size()) return invalid("a number without a unit after another unit");
        std::int64_t number = 0;
        if (!parse_non_negative(text.substr(position, digits - position), number) || number > max_seconds)
            return invalid("longer than 10 years");
        char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(text[digits])));
        std::size_t index = next_unit;
        while (index < std::size(units) && units[index].first != unit) ++index;
        if (index == std::size(units)) {
            bool known = false;
            for (const auto& [name, seconds] : units) known = known || name == unit;
            return invalid(known ? "units go from the largest down, each once" : "unknown unit (use d, h, m or s)");
        }
        total += number * units[index].second;
        if (total > max_seconds) return invalid("longer than 10 years");
        next_unit = index + 1;
        position = digits + 1;
    }
    if (total == 0) return invalid("it must be longer than zero");
    return total;
}

core::Result<std::vector<int>> parse_gpu_ids(std::string_view text) {
    auto invalid = [&](std::string_view why) {
        return core::Error::invalid("bad GPU id list \"" + std::string(text) + "\": " + std::string(why) +
                                    " (example: 0,2)");
    };
    if (text.empty()) return invalid("empty");
    std::vector<int> ids;
    std::set<int> seen;
    for (auto item : core::split(text, ',')) {
        std::int64_t id = 0;
        if (!parse_non_negative(item, id) || id > 1'000'000) return invalid("each id is a number from 0");
        if (!seen.insert(static_cast<int>(id)).second) return invalid("GPU " + std::to_string(id) + " appears twice");
        ids.push_back(static_cast<int>(id));
    }
    return ids;
}

core::Result<std::pair<std::string, std::string>> parse_env_assignment(std::string_view text) {
    auto equals = text.find('=');
    if (equals == std::string_view::npos)
        return core::Error::invalid("bad --env \"" + std::string(text) + "\": it must be NAME=VALUE");
    std::string_view name = text.substr(0, equals);
    if (!core::is_variable_name(name))
        return core::Error::invalid("bad --env name \"" + std::string(name) +
                                    "\": letters, digits and '_', not starting with a digit");
    return std::pair{std::string(name), std::string(text.substr(equals + 1))};
}

core::Result<std::int64_t> parse_job_id(std::string_view text) {
    std::int64_t id = 0;
    if (!parse_non_negative(text, id) || id == 0)
        return core::Error::invalid("bad job id \"" + std::string(text) + "\": a positive number");
    return id;
}

std::string format_duration(double seconds) {
    if (!(seconds >= 0) || !std::isfinite(seconds)) return "-";
    auto whole = static_cast<std::int64_t>(seconds);
    char buffer[32];
    if (whole < 60) {
        std::snprintf(buffer, sizeof buffer, "%llds", static_cast<long long>(whole));
    } else if (whole < 3600) {
        std::snprintf(buffer, sizeof buffer, "%lldm%02llds", static_cast<long long>(whole / 60),
                      static_cast<long long>(whole % 60));
    } else if (whole < 86400) {
        std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", static_cast<long long>(whole / 3600),
                      static_cast<long long>(whole % 3600 / 60));
    } else {
        std::snprintf(buffer, sizeof buffer, "%lldd%02lldh", static_cast<long long>(whole / 86400),
                      static_cast<long long>(whole % 86400 / 3600));
    }
    return buffer;
}

std::string format_bytes(std::int64_t bytes) {
    if (bytes < 1000) return std::to_string(bytes) + " B";
    static constexpr const char* units[] = {"kB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    value /= 1000;
    while (value >= 1000 && unit + 1 < std::size(units)) {
        value /= 1000;
        ++unit;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f %s", value, units[unit]);
    return buffer;
}

}  // namespace ailab::client
