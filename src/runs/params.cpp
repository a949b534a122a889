#include "runs/params.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "runs/yaml.hpp"

namespace ailab::runs {

namespace {

bool is_scalar(const boost::json::value& value) { return !value.is_object() && !value.is_array(); }

bool all_scalars(const boost::json::array& array) { return std::all_of(array.begin(), array.end(), is_scalar); }

std::string join_key(std::string_view prefix, std::string_view name) {
    std::string key;
    key.reserve(prefix.size() + 1 + name.size());
    key.append(prefix);
    if (!prefix.empty()) key.push_back('.');
    key.append(name);
    if (key.size() > max_param_key_bytes) key.resize(max_param_key_bytes);
    return key;
}

// JSON has no infinity or NaN, yet a number past double's range ("1e999" in config.json) parses
// to infinity: such values are kept as their names, so the params still serialize as JSON.
boost::json::value finite_or_name(const boost::json::value& value) {
    if (value.is_double() && !std::isfinite(value.get_double())) {
        const double number = value.get_double();
        return std::isnan(number) ? "nan" : number > 0 ? "inf" : "-inf";
    }
    if (value.is_array()) {
        boost::json::array copy;
        copy.reserve(value.get_array().size());
        for (const auto& item : value.get_array()) copy.push_back(finite_or_name(item));
        return copy;
    }
    return value;
}

void add_leaf(std::string_view key, const boost::json::value& value, FlatParams& out) {
    if (out.values.size() >= max_param_keys) {
        ++out.truncated;
        return;
    }
    // The first spelling read wins: a later clash is not merged into it.
    if (out.values.contains(key)) return;
    out.values.emplace(key, finite_or_name(value));
}

void flatten_at(const boost::json::value& value, const std::string& prefix, std::size_t depth, FlatParams& out) {
    if (depth > max_param_depth) {
        ++out.truncated;
        return;
    }
    if (value.is_object()) {
        const auto& object = value.as_object();
        if (object.empty() && !prefix.empty()) add_leaf(prefix, boost::json::object{}, out);
        for (const auto& entry : object) flatten_at(entry.value(), join_key(prefix, entry.key()), depth + 1, out);
        return;
    }
    if (value.is_array()) {
        const auto& array = value.as_array();
        if (all_scalars(array)) {
            add_leaf(prefix.empty() ? "value" : prefix, value, out);
            return;
        }
        for (std::size_t i = 0; i < array.size(); ++i)
            flatten_at(array[i], join_key(prefix, std::to_string(i)), depth + 1, out);
        return;
    }
    add_leaf(prefix.empty() ? "value" : prefix, value, out);
}

}  // namespace

void flatten_into(const boost::json::value& value, std::string_view prefix, FlatParams& out) {
    flatten_at(value, std::string(prefix), 0, out);
}

FlatParams flatten_run_params(const std::optional<std::string>& config_json,
                              const std::optional<std::string>& hparams_yaml) {
    FlatParams out;
    auto note_error = [&out](const std::string& message) {
        if (!out.error.empty()) out.error += "; ";
        out.error += message;
    };
    if (config_json) {
        boost::system::error_code error;
        boost::json::parse_options options;
        options.allow_invalid_utf8 = false;
        options.max_depth = 64;
        auto value = boost::json::parse(*config_json, error, {}, options);
        if (error)
            note_error("config.json is not valid JSON: " + error.message());
        else
            flatten_into(value, "", out);
    }
    if (hparams_yaml) {
        auto value = parse_yaml(*hparams_yaml);
        if (!value)
            note_error("hparams.yaml: " + value.error().message);
        else if (!value->is_null())
            flatten_into(*value, "", out);
    }
    return out;
}

std::string params_json(const FlatParams& params) {
    std::vector<const boost::json::key_value_pair*> entries;
    entries.reserve(params.values.size());
    for (const auto& entry : params.values) entries.push_back(&entry);
    std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
    std::string out = "{";
    for (const auto* entry : entries) {
        if (out.size() > 1) out += ',';
        out += boost::json::serialize(boost::json::string_view(entry->key()));
        out += ':';
        out += boost::json::serialize(entry->value());
    }
    out += '}';
    return out;
}

}  // namespace ailab::runs
