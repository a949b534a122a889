// Fuzzes runs::LineParser, the parser of one run-log line (a JSON object), with the whole input as
// one line. Besides ASan/UBSan findings it checks the parser's contracts:
//   - a line that is not parsed (any LineError but none) leaves every field absent;
//   - numbers it keeps are finite, an eta is never negative, a goal's phase is a piece of the goal;
//   - parse() (copies into a padded buffer) and parse_padded() (reads the caller's padding) agree;
//   - parsing the same line again gives the same result (no state leaks from one line to the next).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runs/line_parser.hpp"

namespace {

using ailab::runs::LineError;
using ailab::runs::LineParser;
using ailab::runs::ParsedLine;

// What a parse produced, copied out of the parser (its string views die with the next parse).
struct Snapshot {
    LineError error = LineError::none;
    double fields[6] = {};  // timestamp, progress, eta, score, epoch, step
    bool has_goal = false;
    std::string goal;
    std::vector<std::pair<std::string, double>> metrics;

    bool operator==(const Snapshot& other) const {
        if (error != other.error || has_goal != other.has_goal || goal != other.goal) return false;
        for (std::size_t i = 0; i < 6; ++i) {
            if (!same(fields[i], other.fields[i])) return false;
        }
        if (metrics.size() != other.metrics.size()) return false;
        for (std::size_t i = 0; i < metrics.size(); ++i) {
            if (metrics[i].first != other.metrics[i].first || !same(metrics[i].second, other.metrics[i].second))
                return false;
        }
        return true;
    }
    static bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }
};

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "line_parser fuzz: %s\n", what);
    std::abort();
}

Snapshot snapshot(LineError error, const ParsedLine& line) {
    Snapshot result;
    result.error = error;
    result.fields[0] = line.timestamp;
    result.fields[1] = line.progress;
    result.fields[2] = line.eta;
    result.fields[3] = line.score;
    result.fields[4] = line.epoch;
    result.fields[5] = line.step;
    result.has_goal = line.has_goal;
    result.goal = std::string(line.goal);
    for (const auto& metric : line.metrics) result.metrics.emplace_back(std::string(metric.name), metric.value);
    return result;
}

void check_contracts(LineError error, const ParsedLine& line) {
    const double fields[] = {line.timestamp, line.progress, line.eta, line.score, line.epoch, line.step};
    if (error != LineError::none) {
        for (double field : fields) {
            if (ailab::runs::present(field)) fail("a refused line kept a field");
        }
        if (line.has_goal || !line.goal.empty() || !line.metrics.empty()) fail("a refused line kept a goal or metric");
        return;
    }
    for (double field : fields) {
        if (ailab::runs::present(field) && !std::isfinite(field)) fail("a field is infinite");
    }
    if (ailab::runs::present(line.eta) && line.eta < 0) fail("a negative eta");
    for (const auto& metric : line.metrics) {
        if (!std::isfinite(metric.value)) fail("a metric is not finite");
    }
    if (line.has_goal) {
        const auto goal = ailab::runs::parse_goal(line.goal);
        const bool inside = goal.phase.data() >= line.goal.data() &&
                            goal.phase.data() + goal.phase.size() <= line.goal.data() + line.goal.size();
        if (!goal.phase.empty() && !inside) fail("the goal's phase is not a piece of the goal");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static LineParser parser;
    static LineParser padded_parser;
    static ParsedLine line;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    const LineError error = parser.parse(text, line);
    check_contracts(error, line);
    const Snapshot first = snapshot(error, line);

    // The caller-padded path: a copy with exactly line_padding readable bytes after the end.
    std::string padded(text);
    padded.append(ailab::runs::line_padding, '\0');
    const LineError padded_error = padded_parser.parse_padded(std::string_view(padded.data(), size), line);
    check_contracts(padded_error, line);
    if (!(snapshot(padded_error, line) == first)) fail("parse() and parse_padded() disagree");

    const LineError again = parser.parse(text, line);
    if (!(snapshot(again, line) == first)) fail("the same line parsed twice gave two results");
    return 0;
}
