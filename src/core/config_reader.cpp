#include "core/config_reader.hpp"

#include <boost/json.hpp>
#include <cctype>

#include "core/config.hpp"

namespace ailab::core {
namespace json = boost::json;

std::string describe_json(const json::value& value) {
    std::string text = json::serialize(value);
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

ConfigReader::ConfigReader(json::object document, std::string file_label, EnvLookup env)
    : document_(std::move(document)), label_(std::move(file_label)), env_(std::move(env)) {}

void ConfigReader::fail(const std::string& key, const std::string& what) const {
    throw ConfigError(label_ + ": \"" + key + "\" " + what);
}

const json::value* ConfigReader::find(const std::string& key) {
    read_.insert(key);
    auto it = document_.find(key);
    return it == document_.end() ? nullptr : &it->value();
}

std::int64_t ConfigReader::integer(const std::string& key, std::int64_t fallback, std::int64_t low, std::int64_t high) {
    const auto* value = find(key);
    if (!value) return fallback;
    auto range = [&] {
        fail(key, "must be an integer from " + std::to_string(low) + " to " + std::to_string(high) + ", got " +
                      describe_json(*value));
    };
    std::int64_t result = 0;
    if (value->is_int64()) {
        result = value->as_int64();
    } else if (value->is_uint64() && value->as_uint64() <= static_cast<std::uint64_t>(high)) {
        result = static_cast<std::int64_t>(value->as_uint64());
    } else {
        range();
    }
    if (result < low || result > high) range();
    return result;
}

bool ConfigReader::boolean(const std::string& key, bool fallback) {
    const auto* value = find(key);
    if (!value) return fallback;
    if (!value->is_bool()) fail(key, "must be true or false, got " + describe_json(*value));
    return value->as_bool();
}

std::string ConfigReader::string(const std::string& key, const std::string& fallback) {
    const auto* value = find(key);
    if (!value) return fallback;
    if (!value->is_string()) fail(key, "must be a string, got " + describe_json(*value));
    return std::string(value->as_string());
}

std::chrono::milliseconds ConfigReader::milliseconds(const std::string& key, std::chrono::milliseconds fallback,
                                                     std::chrono::milliseconds low, std::chrono::milliseconds high) {
    return std::chrono::milliseconds(integer(key, fallback.count(), low.count(), high.count()));
}

std::filesystem::path ConfigReader::folder(const std::string& key, Presence presence) {
    const auto* value = find(key);
    if (!value) {
        if (presence == Presence::required) fail(key, "is missing: it must name a folder");
        return {};
    }
    if (!value->is_string() || value->as_string().empty())
        fail(key, "must be a folder path (a non-empty string), got " + describe_json(*value));
    return std::filesystem::path(expand(std::string(value->as_string()), key)).lexically_normal();
}

std::string ConfigReader::expand(const std::string& value, const std::string& key) const {
    return expand_variables(value, label_, key, env_);
}

std::vector<std::string> ConfigReader::unread_keys() const {
    std::vector<std::string> keys;
    for (const auto& entry : document_)
        if (!read_.contains(entry.key())) keys.emplace_back(entry.key());
    return keys;
}

std::optional<std::set<std::string>> read_admins(ConfigReader& reader, const Config& config) {
    const auto* admins = reader.find("admins");
    if (admins == nullptr) return std::nullopt;
    if (!admins->is_array()) reader.fail("admins", "must be a list of user names, got " + describe_json(*admins));
    std::set<std::string> names;
    for (const auto& name : admins->as_array()) {
        if (!name.is_string() || !config.users.contains(std::string(name.as_string())))
            reader.fail("admins", "lists " + describe_json(name) + ", which is not one of \"users\"");
        names.insert(std::string(name.as_string()));
    }
    return names;
}

}  // namespace ailab::core
