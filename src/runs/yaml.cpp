#include "runs/yaml.hpp"

#include <yaml.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ailab::runs {

namespace {

constexpr std::size_t max_nodes = 10'000;
constexpr std::size_t max_depth = 64;

struct ParserCloser {
    void operator()(yaml_parser_t* parser) const {
        yaml_parser_delete(parser);
        delete parser;
    }
};
struct EventCloser {
    void operator()(yaml_event_t* event) const { yaml_event_delete(event); }
};

bool equals_any(std::string_view text, std::initializer_list<std::string_view> words) {
    return std::ranges::any_of(words, [text](std::string_view word) { return text == word; });
}

std::optional<std::int64_t> as_integer(std::string_view text) {
    std::string_view digits = text;
    bool negative = false;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
    }
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'o')) {
        base = digits[1] == 'x' ? 16 : 8;
        digits.remove_prefix(2);
    }
    if (digits.empty()) return std::nullopt;
    std::uint64_t magnitude = 0;
    auto result = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
    if (result.ec != std::errc() || result.ptr != digits.data() + digits.size()) return std::nullopt;
    if (magnitude > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    auto value = static_cast<std::int64_t>(magnitude);
    return negative ? -value : value;
}

std::optional<double> as_float(std::string_view text) {
    if (equals_any(text, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}))
        return std::numeric_limits<double>::infinity();
    if (equals_any(text, {"-.inf", "-.Inf", "-.INF"})) return -std::numeric_limits<double>::infinity();
    if (equals_any(text, {".nan", ".NaN", ".NAN"})) return std::numeric_limits<double>::quiet_NaN();
    // YAML's float: digits with a '.' or an exponent ("1e-3", "1.0e-05", ".5", "5."); not "1_000".
    bool digit = false;
    for (char c : text) {
        if (c >= '0' && c <= '9')
            digit = true;
        else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-')
            return std::nullopt;
    }
    if (!digit) return std::nullopt;
    std::string copy(text);
    char* end = nullptr;
    errno = 0;
    double value = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || errno == ERANGE) return std::nullopt;
    return value;
}

// A plain scalar typed as the YAML 1.2 core schema does (PyYAML's 1.1 yes/no stay strings).
boost::json::value plain_scalar(std::string_view text) {
    if (text.empty() || equals_any(text, {"~", "null", "Null", "NULL"})) return nullptr;
    if (equals_any(text, {"true", "True", "TRUE"})) return true;
    if (equals_any(text, {"false", "False", "FALSE"})) return false;
    if (auto integer = as_integer(text)) return *integer;
    if (auto number = as_float(text)) {
        // JSON has no NaN or infinity: keep their text so the value is still shown.
        if (!std::isfinite(*number)) return boost::json::string(text);
        return *number;
    }
    return boost::json::string(text);
}

boost::json::value tagged_scalar(std::string_view tag, std::string_view text, bool plain) {
    if (tag == YAML_STR_TAG) return boost::json::string(text);
    if (tag == YAML_NULL_TAG) return nullptr;
    if (tag == YAML_BOOL_TAG || tag == YAML_INT_TAG || tag == YAML_FLOAT_TAG) return plain_scalar(text);
    if (!plain) return boost::json::string(text);
    return plain_scalar(text);
}

class Builder {
public:
    explicit Builder(std::string_view text) : parser_(new yaml_parser_t) {
        if (!yaml_parser_initialize(parser_.get())) {
            delete parser_.release();
            failed_ = "cannot start the YAML parser";
            return;
        }
        yaml_parser_set_input_string(parser_.get(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
    }

    core::Result<boost::json::value> run() {
        if (!failed_.empty()) return core::Error::invalid(failed_);
        // STREAM-START, then DOCUMENT-START or STREAM-END (an empty file is null).
        auto first = next();
        if (!first) return first.error();
        for (;;) {
            auto event = next();
            if (!event) return event.error();
            if (event->type == YAML_STREAM_END_EVENT) return boost::json::value(nullptr);
            if (event->type == YAML_DOCUMENT_START_EVENT) break;
        }
        auto event = next();
        if (!event) return event.error();
        if (event->type == YAML_DOCUMENT_END_EVENT) return boost::json::value(nullptr);
        return node(*event, 0);
    }

private:
    struct Event {
        yaml_event_type_t type;
        std::string tag;
        std::string anchor;
        std::string text;  // scalar value, or alias name
        bool plain = false;
    };

    core::Result<Event> next() {
        yaml_event_t raw;
        if (!yaml_parser_parse(parser_.get(), &raw)) return parse_error();
        std::unique_ptr<yaml_event_t, EventCloser> owned(&raw);
        Event event{raw.type, {}, {}, {}, false};
        auto copy = [](const yaml_char_t* text) {
            return text ? std::string(reinterpret_cast<const char*>(text)) : std::string();
        };
        switch (raw.type) {
        case YAML_SCALAR_EVENT:
            event.tag = copy(raw.data.scalar.tag);
            event.anchor = copy(raw.data.scalar.anchor);
            event.text.assign(reinterpret_cast<const char*>(raw.data.scalar.value), raw.data.scalar.length);
            event.plain = raw.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            break;
        case YAML_SEQUENCE_START_EVENT:
            event.tag = copy(raw.data.sequence_start.tag);
            event.anchor = copy(raw.data.sequence_start.anchor);
            break;
        case YAML_MAPPING_START_EVENT:
            event.tag = copy(raw.data.mapping_start.tag);
            event.anchor = copy(raw.data.mapping_start.anchor);
            break;
        case YAML_ALIAS_EVENT: event.text = copy(raw.data.alias.anchor); break;
        default: break;
        }
        return event;
    }

    core::Error parse_error() const {
        const auto& parser = *parser_;
        std::string message = "line " + std::to_string(parser.problem_mark.line + 1) + ", column " +
                              std::to_string(parser.problem_mark.column + 1) + ": " +
                              (parser.problem ? parser.problem : "not valid YAML");
        if (parser.context) message += std::string(" (") + parser.context + ")";
        return core::Error::invalid(std::move(message));
    }

    core::Status count_node() {
        if (++nodes_ > max_nodes) return core::Error::invalid("more than 10000 nodes (aliases included)");
        return {};
    }

    void remember(const Event& event, const boost::json::value& value) {
        if (!event.anchor.empty()) anchors_[event.anchor] = {value, nodes_at_anchor_};
    }

    core::Result<boost::json::value> node(const Event& event, std::size_t depth) {
        if (depth > max_depth) return core::Error::invalid("nested more than 64 levels deep");
        switch (event.type) {
        case YAML_SCALAR_EVENT: {
            if (auto counted = count_node(); !counted) return counted.error();
            auto value = tagged_scalar(event.tag, event.text, event.plain);
            nodes_at_anchor_ = 1;
            remember(event, value);
            return value;
        }
        case YAML_ALIAS_EVENT: {
            auto it = anchors_.find(event.text);
            if (it == anchors_.end()) return core::Error::invalid("unknown alias *" + event.text);
            nodes_ += it->second.nodes;
            if (nodes_ > max_nodes) return core::Error::invalid("more than 10000 nodes (aliases included)");
            return it->second.value;
        }
        case YAML_SEQUENCE_START_EVENT: {
            if (auto counted = count_node(); !counted) return counted.error();
            std::size_t start = nodes_;
            boost::json::array array;
            for (;;) {
                auto item = next();
                if (!item) return item.error();
                if (item->type == YAML_SEQUENCE_END_EVENT) break;
                auto value = node(*item, depth + 1);
                if (!value) return value.error();
                array.push_back(std::move(*value));
            }
            boost::json::value value(std::move(array));
            nodes_at_anchor_ = nodes_ - start + 1;
            remember(event, value);
            return value;
        }
        case YAML_MAPPING_START_EVENT: {
            if (auto counted = count_node(); !counted) return counted.error();
            std::size_t start = nodes_;
            boost::json::object object;
            for (;;) {
                auto key_event = next();
                if (!key_event) return key_event.error();
                if (key_event->type == YAML_MAPPING_END_EVENT) break;
                auto key = node(*key_event, depth + 1);
                if (!key) return key.error();
                auto value_event = next();
                if (!value_event) return value_event.error();
                auto value = node(*value_event, depth + 1);
                if (!value) return value.error();
                std::string name = key_event->type == YAML_SCALAR_EVENT ? key_event->text
                                   : key->is_string()                   ? std::string(key->as_string())
                                                                        : boost::json::serialize(*key);
                // "<<: *defaults" merges the aliased mapping's keys (those set here win).
                if (name == "<<" && key_event->plain && value->is_object()) {
                    for (const auto& entry : value->as_object())
                        if (!object.contains(entry.key())) object.emplace(entry.key(), entry.value());
                    continue;
                }
                object[name] = std::move(*value);
            }
            boost::json::value value(std::move(object));
            nodes_at_anchor_ = nodes_ - start + 1;
            remember(event, value);
            return value;
        }
        default: return core::Error::invalid("unexpected YAML event");
        }
    }

    struct Anchor {
        boost::json::value value;
        std::size_t nodes;
    };

    std::unique_ptr<yaml_parser_t, ParserCloser> parser_;
    std::string failed_;
    std::map<std::string, Anchor> anchors_;
    std::size_t nodes_ = 0;
    std::size_t nodes_at_anchor_ = 0;
};

}  // namespace

core::Result<boost::json::value> parse_yaml(std::string_view text) { return Builder(text).run(); }

}  // namespace ailab::runs
