#pragma once
// The runs feature's own config keys (README.md, "Config"), read from the config file by the
// feature (runs/feature.cpp); a Settings built in code uses these defaults.

#include <algorithm>
#include <chrono>
#include <string>

#include "runs/run_state.hpp"

namespace ailab::core {
class ConfigReader;
}

namespace ailab::runs {

struct Settings {
    // "dead_after_minutes" (1..525600): a run not updated for this long, and not done, is dead.
    std::chrono::minutes dead_after{90};
    // "discovery_depth" (1..32): how many folder levels below results hold runs.
    int discovery_depth = 5;
    // "poll_interval_ms" (50..3600000): stat() polling of what inotify cannot watch (network
    // shares, beyond the watch limit); everything is also polled every 10 × this.
    std::chrono::milliseconds poll_interval{1000};
    // "idle_minutes" (1..525600): a run of a format without goals (TensorBoard, Lightning, Hugging
    // Face) whose files have not grown for this long is idle (or done, with evidence).
    std::chrono::minutes idle_after{10};
    // Not a config key: the name of this results folder when `results` lists several ("" for
    // one). It prefixes the path, group and id of each of its runs (scoped_path()), so runs of two
    // folders never share an id. RunService sets it per folder.
    std::string scope;

    // Reads the four keys through reader (nullptr: the defaults). Throws core::ConfigError naming
    // the file and the key on a bad value.
    static Settings read(core::ConfigReader* reader);
};

// Settings::dead_after in seconds (a negative value, possible in code only, reads as zero).
inline std::chrono::seconds dead_after_seconds(const Settings& settings) {
    return std::max(settings.dead_after, std::chrono::minutes(0));
}

// The state rules' times (run_state.hpp) from the settings.
inline StateTimes state_times(const Settings& settings) {
    return StateTimes(dead_after_seconds(settings), std::max(settings.idle_after, std::chrono::minutes(0)));
}

}  // namespace ailab::runs
