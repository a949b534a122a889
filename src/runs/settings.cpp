#include "runs/settings.hpp"

#include <cstdint>

#include "core/config_reader.hpp"

namespace ailab::runs {

Settings Settings::read(core::ConfigReader* reader_pointer) {
    Settings settings;
    if (!reader_pointer) return settings;
    core::ConfigReader& reader = *reader_pointer;
    const Settings defaults;
    settings.dead_after = std::chrono::minutes(
        reader.integer("dead_after_minutes", defaults.dead_after.count(), 1, std::int64_t{60} * 24 * 365));
    settings.discovery_depth = static_cast<int>(reader.integer("discovery_depth", defaults.discovery_depth, 1, 32));
    settings.poll_interval = reader.milliseconds("poll_interval_ms", defaults.poll_interval,
                                                 std::chrono::milliseconds(50), std::chrono::milliseconds(3'600'000));
    settings.idle_after = std::chrono::minutes(
        reader.integer("idle_minutes", defaults.idle_after.count(), 1, std::int64_t{60} * 24 * 365));
    return settings;
}

}  // namespace ailab::runs
