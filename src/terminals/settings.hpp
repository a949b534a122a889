#pragma once
// The terminals' config keys (README.md, "Config reference"); a Settings built in code uses these
// defaults.

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <string>

#include "core/config.hpp"

namespace ailab::core {
class ConfigReader;
}

namespace ailab::terminals {

struct Settings {
    // "max_terminals" (1..10000, default 20): terminals listed at once, exited ones included.
    std::size_t max_terminals = 20;
    // "terminal_idle_hours" (0..87600, fractions allowed, default 168; 0 = never): no input, no
    // output and no client for this long closes a terminal.
    std::chrono::duration<double> idle_limit = std::chrono::hours(168);
    // "terminal_scrollback_mib" (1..256, default 4): the ring of each terminal.
    std::size_t scrollback_bytes = std::size_t{4} << 20;
    // "admins" (shared with jobs): users who see every terminal. Absent: every user.
    std::optional<std::set<std::string>> admins;
    // SIGHUP -> SIGKILL on DELETE.
    std::chrono::milliseconds close_grace{2000};

    bool is_admin(const std::string& user) const { return !admins || admins->contains(user); }

    // Throws core::ConfigError naming the key on a bad value; reader nullptr: defaults.
    static Settings read(const core::Config& config, core::ConfigReader* reader);
};

}  // namespace ailab::terminals
