// Fuzzes the text parsers beside the line parser: runs::parse_timestamp (every form it accepts,
// with its cache of the last hour), runs::parse_duration (eta) and runs::parse_goal. Each input
// line is one text. Contracts checked:
//   - a timestamp is finite, and a converter that has seen every earlier line (its hour cache
//     warm) gives exactly what a fresh converter gives;
//   - a duration is finite and not negative;
//   - a goal's epoch and epochs are not negative, its phase is a piece of the goal.
// The zone is fixed to one with daylight saving time, so the converter's DST handling runs too.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "runs/line_parser.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view text) {
    std::fprintf(stderr, "timestamp fuzz: %s: \"%.*s\"\n", what, static_cast<int>(text.size()), text.data());
    std::abort();
}

void check_one(std::string_view text, ailab::runs::LocalTimeConverter& warm) {
    ailab::runs::LocalTimeConverter fresh;
    const std::optional<double> cached = ailab::runs::parse_timestamp(text, warm);
    const std::optional<double> uncached = ailab::runs::parse_timestamp(text, fresh);
    if (cached.has_value() != uncached.has_value()) fail("the hour cache changed whether a timestamp parses", text);
    if (cached && *cached != *uncached) fail("the hour cache changed a timestamp's value", text);
    if (cached && !std::isfinite(*cached)) fail("a timestamp is not finite", text);

    if (const auto seconds = ailab::runs::parse_duration(text)) {
        if (!std::isfinite(*seconds) || *seconds < 0) fail("a duration is infinite or negative", text);
    }

    const auto goal = ailab::runs::parse_goal(text);
    if ((goal.epoch && *goal.epoch < 0) || (goal.epochs && *goal.epochs < 0)) fail("a negative epoch", text);
    const bool inside =
        goal.phase.data() >= text.data() && goal.phase.data() + goal.phase.size() <= text.data() + text.size();
    if (!goal.phase.empty() && !inside) fail("the goal's phase is not a piece of the goal", text);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    ::setenv("TZ", "Europe/Berlin", 1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static ailab::runs::LocalTimeConverter warm;
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    while (true) {
        const auto newline = rest.find('\n');
        check_one(rest.substr(0, newline), warm);
        if (newline == std::string_view::npos) break;
        rest.remove_prefix(newline + 1);
    }
    return 0;
}
