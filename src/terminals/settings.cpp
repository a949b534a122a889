#include "terminals/settings.hpp"

#include "core/config_reader.hpp"

namespace ailab::terminals {

Settings Settings::read(const core::Config& config, core::ConfigReader* reader) {
    Settings settings;
    if (!reader) return settings;
    settings.max_terminals = static_cast<std::size_t>(reader->integer("max_terminals", 20, 1, 10'000));
    if (const auto* hours = reader->find("terminal_idle_hours")) {
        const double value = hours->is_number() ? hours->to_number<double>() : -1;
        if (!hours->is_number() || value < 0 || value > 87'600)
            reader->fail("terminal_idle_hours",
                         "must be a number of hours from 0 (never) to 87600, got " + core::describe_json(*hours));
        settings.idle_limit = std::chrono::duration<double>(value * 3600);
    }
    settings.scrollback_bytes = static_cast<std::size_t>(reader->integer("terminal_scrollback_mib", 4, 1, 256)) << 20;
    settings.admins = core::read_admins(*reader, config);
    return settings;
}

}  // namespace ailab::terminals
