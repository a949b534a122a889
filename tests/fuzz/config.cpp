// Fuzzes core::parse_config (JSON with comments and trailing commas) with a fixed environment, and
// the helpers it leans on: expand_variables and normalise_origin. Contracts checked:
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
    try {
        config = ailab::core::parse_config(text, "fuzz.json", env);
    } catch (const ailab::core::ConfigError&) {
        return;  // the expected way to refuse
    }
    if (config.users.empty()) fail("a config without users was accepted");
    if (config.port == 0) fail("port 0 was accepted");
    if (config.threads < 1 || config.threads > 64) fail("threads out of range");
    if (config.discovery_depth < 1 || config.discovery_depth > 32) fail("discovery_depth out of range");
    if (config.poll_interval.count() < 50 || config.sample_interval.count() < 100) fail("an interval is too short");
    for (const auto& origin : config.allowed_origins) {
        if (ailab::core::normalise_origin(origin) != origin) fail("an allowed origin is not normal");
    }
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
