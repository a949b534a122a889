#pragma once
// Typed, checked access to the keys of the config file. The core keys are read by
// parse_config(); each feature reads its own section through the same reader when it is built,
// so a feature's keys live in its folder. Every failure is one ConfigError line naming the file
// and the key. The reader remembers which keys anybody read, so after every feature was built the
// ones nobody read can be reported as unknown.
//
// Not thread-safe; used during start-up only.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace ailab::core {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

class ConfigReader {
public:
    ConfigReader(boost::json::object document, std::string file_label, EnvLookup env);

    [[noreturn]] void fail(const std::string& key, const std::string& what) const;

    // The raw value of a key, or nullptr when absent. Marks the key as read.
    const boost::json::value* find(const std::string& key);

    std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t low, std::int64_t high);
    bool boolean(const std::string& key, bool fallback);
    std::string string(const std::string& key, const std::string& fallback);
    std::chrono::milliseconds milliseconds(const std::string& key, std::chrono::milliseconds fallback,
                                           std::chrono::milliseconds low, std::chrono::milliseconds high);
    enum class Presence { required, optional };
    // A folder path with $VAR, ${VAR} and ~ expanded, lexically normalised; "" when optional and absent.
    std::filesystem::path folder(const std::string& key, Presence presence);
    // $VAR, ${VAR} and a leading ~ expanded; throws ConfigError naming key on an unset variable.
    std::string expand(const std::string& value, const std::string& key) const;

    // Keys of the document that no one has read yet, sorted.
    std::vector<std::string> unread_keys() const;
    const std::string& label() const { return label_; }
    const boost::json::object& document() const { return document_; }

private:
    boost::json::object document_;
    std::string label_;
    EnvLookup env_;
    std::set<std::string, std::less<>> read_;
};

// Renders a JSON value for an error message: strings quoted, long values cut.
std::string describe_json(const boost::json::value& value);

struct Config;
// The config's "admins" (users who act on every user's jobs and terminals), each one of `users`;
// nullopt when absent (every user is an admin). A bad value fails through reader.fail.
std::optional<std::set<std::string>> read_admins(ConfigReader& reader, const Config& config);

}  // namespace ailab::core
