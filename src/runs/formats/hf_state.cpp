#include "runs/formats/hf_state.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstddef>
#include <limits>

namespace ailab::runs::formats {

namespace {

// Boost.JSON 1.81 has no option for NaN and Infinity, so they are rewritten (outside strings) to
// strings that start with a NUL character before parsing, and read back as numbers. No string of
// the file can be taken for one: a string that starts with the escape \u0000 is changed to start
// with \u0001 (such strings are only ever skipped; a path cannot hold NUL).
constexpr std::string_view nan_placeholder = "\"\\u0000NaN\"";
constexpr std::string_view infinity_placeholder = "\"\\u0000Infinity\"";
constexpr std::string_view negative_infinity_placeholder = "\"\\u0000-Infinity\"";

std::optional<double> placeholder_value(std::string_view text) {
    if (text.empty() || text.front() != '\0') return std::nullopt;
    text.remove_prefix(1);
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
    return std::nullopt;
}

// Whether `text` may hold a bare NaN or Infinity (or a string that could pass for a placeholder,
// which needs the same letters). Cheap, so the common file is parsed without a copy.
bool may_hold_non_finite(std::string_view text) {
    return text.find("NaN") != std::string_view::npos || text.find("Infinity") != std::string_view::npos;
}

// Rewrites bare NaN, Infinity and -Infinity outside strings to the placeholders above. Newlines are
// kept, so line numbers in parse errors still match the file.
std::string rewrite_non_finite(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\' && i + 1 < text.size()) {
                out.push_back(c);
                out.push_back(text[++i]);
            } else {
                out.push_back(c);
                if (c == '"') in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
            out.push_back(c);
            if (text.substr(i + 1).starts_with("\\u0000")) {
                out.append("\\u0001");
                i += 6;
            }
            continue;
        }
        auto rest = text.substr(i);
        if (rest.starts_with("NaN")) {
            out.append(nan_placeholder);
            i += 2;
        } else if (rest.starts_with("Infinity")) {
            out.append(infinity_placeholder);
            i += 7;
        } else if (rest.starts_with("-Infinity")) {
            out.append(negative_infinity_placeholder);
            i += 8;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

// A JSON number (or a NaN/Infinity placeholder) as a double; nullopt for anything else.
std::optional<double> number_of(const boost::json::value& value) {
    switch (value.kind()) {
    case boost::json::kind::double_: return value.get_double();
    case boost::json::kind::int64: return static_cast<double>(value.get_int64());
    case boost::json::kind::uint64: return static_cast<double>(value.get_uint64());
    case boost::json::kind::string: return placeholder_value(value.get_string());
    default: return std::nullopt;
    }
}

std::optional<double> number_field(const boost::json::object& object, std::string_view key) {
    auto found = object.find(key);
    if (found == object.end()) return std::nullopt;
    return number_of(found->value());
}

HfLogEntry log_entry_of(const boost::json::object& object) {
    HfLogEntry entry;
    entry.values.reserve(object.size());
    for (const auto& field : object) {
        auto value = number_of(field.value());
        if (!value) continue;
        std::string_view key = field.key();
        if (key == "step")
            entry.step = *value;
        else if (key == "epoch")
            entry.epoch = *value;
        else
            entry.values.emplace_back(std::string(key), *value);
    }
    return entry;
}

std::size_t line_of(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    auto end = text.begin() + static_cast<std::ptrdiff_t>(offset);
    return 1 + static_cast<std::size_t>(std::count(text.begin(), end, '\n'));
}

}  // namespace

core::Result<HfTrainerState> parse_trainer_state(std::string_view json) {
    std::string rewritten;
    std::string_view text = json;
    if (may_hold_non_finite(json)) {
        rewritten = rewrite_non_finite(json);
        text = rewritten;
    }

    boost::json::parse_options options;
    options.max_depth = 64;
    boost::json::parser parser({}, options);
    boost::system::error_code error;
    std::size_t consumed = parser.write(text.data(), text.size(), error);
    if (error)
        return core::Error::invalid("trainer_state.json is not valid JSON: " + error.message() + " (line " +
                                    std::to_string(line_of(text, consumed)) + ")");
    boost::json::value document = parser.release();
    if (!document.is_object()) return core::Error::invalid("trainer_state.json is not a JSON object");
    const auto& object = document.get_object();

    auto history = object.find("log_history");
    if (history == object.end() || !history->value().is_array())
        return core::Error::invalid("trainer_state.json has no log_history list");

    HfTrainerState state;
    state.global_step = number_field(object, "global_step");
    state.max_steps = number_field(object, "max_steps");
    if (state.max_steps && !(*state.max_steps > 0)) state.max_steps.reset();
    state.epoch = number_field(object, "epoch");
    state.num_train_epochs = number_field(object, "num_train_epochs");
    state.logging_steps = number_field(object, "logging_steps");
    state.save_steps = number_field(object, "save_steps");
    state.best_metric = number_field(object, "best_metric");
    if (auto checkpoint = object.find("best_model_checkpoint"); checkpoint != object.end()) {
        const auto& value = checkpoint->value();
        if (value.is_string() && !placeholder_value(value.get_string()))
            state.best_model_checkpoint = std::string(value.get_string());
    }

    const auto& entries = history->value().get_array();
    state.log_history.reserve(entries.size());
    for (const auto& entry : entries)
        if (entry.is_object()) state.log_history.push_back(log_entry_of(entry.get_object()));
    return state;
}

bool is_checkpoint_name(std::string_view name) {
    constexpr std::string_view prefix = "checkpoint-";
    if (!name.starts_with(prefix)) return false;
    name.remove_prefix(prefix.size());
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::string> newest_checkpoint(const std::vector<std::string>& names) {
    constexpr std::size_t prefix_length = std::string_view("checkpoint-").size();
    // The digits without leading zeros ("0" stays "0"): a longer run of digits is a larger number,
    // and runs of one length compare as text.
    auto digits_of = [](std::string_view name) {
        std::string_view digits = name.substr(prefix_length);
        while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
        return digits;
    };
    const std::string* best = nullptr;
    std::string_view best_digits;
    for (const auto& name : names) {
        if (!is_checkpoint_name(name)) continue;
        std::string_view digits = digits_of(name);
        bool better = false;
        if (!best)
            better = true;
        else if (digits.size() != best_digits.size())
            better = digits.size() > best_digits.size();
        else if (digits != best_digits)
            better = digits > best_digits;
        else  // the same number: the shorter spelling, then the smaller text
            better = name.size() < best->size() || (name.size() == best->size() && name < *best);
        if (better) {
            best = &name;
            best_digits = digits;
        }
    }
    if (!best) return std::nullopt;
    return *best;
}

void hf_key_of_tag(std::string_view tag, std::string& out) {
    out.clear();
    if (tag.starts_with("train/")) {
        out.append(tag.substr(6));
    } else if (tag.starts_with("eval/")) {
        out.append("eval_");
        out.append(tag.substr(5));
    } else if (tag.starts_with("test/")) {
        out.append("test_");
        out.append(tag.substr(5));
    } else {
        out.append(tag);
    }
}

}  // namespace ailab::runs::formats
