// Fuzzes core::parse_config (JSON with comments and trailing commas) with a fixed environment, the
// sections the runs and system features read from it (runs::Settings, sys::Settings), and the
// helpers it leans on: expand_variables and normalise_origin. Contracts checked:
//   - every refusal is a core::ConfigError (any other exception escapes and counts as a crash);
//   - an accepted config has users, in-range numbers, and origins that are already normal;
//   - normalise_origin is idempotent, and what it returns is "" or starts with http:// or https://.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/config_reader.hpp"
#include "runs/settings.hpp"
#include "system/settings.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "config fuzz: %s\n", what);
    std::abort();
}

std::optional<std::string> fixed_environment(const std::string& name) {
    if (name == "HOME") return std::string("/home/fuzz");
    if (name == "USER") return std::string("fuzz");
    if (name == "DATA") return std::string("/data");
    if (name == "EMPTY") return std::string();
    return std::nullopt;
}

void check_config(const std::string& text) {
    const ailab::core::EnvLookup env = fixed_environment;
    ailab::core::Config config;
    ailab::runs::Settings runs;
    ailab::sys::Settings system;
    try {
        config = ailab::core::parse_config(text, "fuzz.json", env);
        runs = ailab::runs::Settings::read(config.settings.get());
        system = ailab::sys::Settings::read(config.settings.get());
    } catch (const ailab::core::ConfigError&) {
        return;  // the expected way to refuse
    }
    if (config.users.empty()) fail("a config without users was accepted");
    if (config.port == 0) fail("port 0 was accepted");
    if (config.threads < 1 || config.threads > 64) fail("threads out of range");
    if (config.max_connections_per_address < 1 || config.max_connections_per_address > config.max_connections)
        fail("max_connections_per_address out of range");
    for (const auto& origin : config.allowed_origins) {
        if (ailab::core::normalise_origin(origin) != origin) fail("an allowed origin is not normal");
    }
    if (runs.dead_after.count() < 1 || runs.discovery_depth < 1 || runs.discovery_depth > 32)
        fail("a runs setting out of range");
    if (runs.poll_interval.count() < 50 || system.sample_interval.count() < 100) fail("an interval is too short");
    if (config.settings == nullptr) fail("a parsed config has no settings reader");
    (void)config.settings->unread_keys();
}

void check_helpers(const std::string& text) {
    const std::string normal = ailab::core::normalise_origin(text);
    if (!normal.empty() && normal.rfind("http://", 0) != 0 && normal.rfind("https://", 0) != 0)
        fail("normalise_origin returned something that is not an http(s) origin");
    if (ailab::core::normalise_origin(normal) != normal) fail("normalise_origin is not idempotent");
    try {
        (void)ailab::core::expand_variables(text, "fuzz.json", "key", fixed_environment);
    } catch (const ailab::core::ConfigError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    check_config(text);
    check_helpers(text);
    return 0;
}
