#pragma once
// A strict parser of the Prometheus text exposition format 0.0.4, shared by the /metrics unit tests
// and the exposition round-trip fuzz target. Header-only, standard library only.

#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace ailab::test_support {

// One parsed exposition: series "name{a="x",b="y"}" (labels sorted, values unescaped) -> value.
struct Exposition {
    std::map<std::string, std::string> types;  // family -> type
    std::map<std::string, std::string> help;   // family -> help text
    std::map<std::string, double> series;
    std::vector<std::string> family_order;
};

// Hand-written matchers (std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers).
inline bool is_name_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names, [a-zA-Z_][a-zA-Z0-9_]* for label names.
inline bool is_name(const std::string& text, bool colons) {
    if (text.empty()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool ok = is_name_letter(c) || (colons && c == ':') || (i > 0 && is_digit(c));
        if (!ok) return false;
    }
    return true;
}

// Digits with an optional sign: the format's timestamps.
inline bool is_integer(const std::string& text) {
    std::size_t i = !text.empty() && text[0] == '-' ? 1 : 0;
    if (i == text.size()) return false;
    for (; i < text.size(); ++i) {
        if (!is_digit(text[i])) return false;
    }
    return true;
}

// [+-]?(digits[.digits*]|.digits)([eE][+-]?digits)?
inline bool is_float(const std::string& text) {
    std::size_t i = 0;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    std::size_t digits = 0;
    while (i < text.size() && is_digit(text[i])) ++i, ++digits;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && is_digit(text[i])) ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        std::size_t exponent = 0;
        while (i < text.size() && is_digit(text[i])) ++i, ++exponent;
        if (exponent == 0) return false;
    }
    return i == text.size();
}

inline double parse_value(const std::string& text) {
    if (text == "NaN") return std::nan("");
    if (text == "+Inf") return INFINITY;
    if (text == "-Inf") return -INFINITY;
    if (!is_float(text)) throw std::runtime_error("bad value: " + text);
    double value = 0;
    const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
    const auto [end, error] = std::from_chars(begin, text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) throw std::runtime_error("bad value: " + text);
    return value;
}

// Throws std::runtime_error naming the first violation.
inline Exposition parse_exposition(const std::string& text) {
    static const std::set<std::string> types = {"counter", "gauge", "histogram", "summary", "untyped"};
    Exposition result;
    if (text.empty()) return result;
    if (text.back() != '\n') throw std::runtime_error("the last line must end with a line feed");
    std::set<std::string> finished;  // families whose samples are over: must not come back
    std::string current;             // family of the previous line
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        if (line.empty()) throw std::runtime_error("empty line");
        const auto enter = [&](const std::string& family) {
            if (family == current) return;
            if (finished.count(family)) throw std::runtime_error("family " + family + " appears twice");
            if (!current.empty()) finished.insert(current);
            current = family;
            result.family_order.push_back(family);
        };
        if (line[0] == '#') {
            // "# HELP name text" or "# TYPE name type"
            const bool is_help = line.rfind("# HELP ", 0) == 0;
            if (!is_help && line.rfind("# TYPE ", 0) != 0) throw std::runtime_error("bad comment line: " + line);
            const std::size_t name_end = line.find(' ', 7);
            if (name_end == std::string::npos) throw std::runtime_error("bad comment line: " + line);
            const std::string name = line.substr(7, name_end - 7);
            const std::string argument = line.substr(name_end + 1);
            if (!is_name(name, true)) throw std::runtime_error("bad metric name: " + name);
            enter(name);
            if (is_help) {
                if (result.help.count(name)) throw std::runtime_error("second HELP for " + name);
                const std::string& help = argument;
                for (std::size_t i = 0; i < help.size(); ++i) {
                    if (help[i] == '\\' && (i + 1 == help.size() || (help[i + 1] != '\\' && help[i + 1] != 'n'))) {
                        throw std::runtime_error("bad escape in HELP of " + name);
                    }
                    if (help[i] == '\\') ++i;
                }
                result.help[name] = help;
            } else {
                if (result.types.count(name)) throw std::runtime_error("second TYPE for " + name);
                if (!types.count(argument)) throw std::runtime_error("bad type for " + name);
                if (result.series.lower_bound(name) != result.series.end() &&
                    result.series.lower_bound(name)->first.rfind(name, 0) == 0) {
                    throw std::runtime_error("TYPE after samples of " + name);
                }
                result.types[name] = argument;
            }
            continue;
        }
        // name [{labels}] value [timestamp]
        std::size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
        const std::string name = line.substr(0, i);
        if (!is_name(name, true)) throw std::runtime_error("bad metric name: " + name);
        enter(name);
        if (!result.types.count(name)) throw std::runtime_error("sample before TYPE: " + name);
        std::map<std::string, std::string> labels;
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                std::size_t equals = line.find('=', i);
                if (equals == std::string::npos) throw std::runtime_error("label without '=': " + line);
                const std::string key = line.substr(i, equals - i);
                if (!is_name(key, false) || key.rfind("__", 0) == 0) throw std::runtime_error("bad label name: " + key);
                i = equals + 1;
                if (i >= line.size() || line[i] != '"') throw std::runtime_error("label value not quoted: " + line);
                ++i;
                std::string value;
                for (;; ++i) {
                    if (i >= line.size()) throw std::runtime_error("unterminated label value: " + line);
                    if (line[i] == '"') break;
                    if (line[i] == '\\') {
                        ++i;
                        if (i >= line.size()) throw std::runtime_error("bad escape: " + line);
                        if (line[i] == 'n') {
                            value += '\n';
                        } else if (line[i] == '\\' || line[i] == '"') {
                            value += line[i];
                        } else {
                            throw std::runtime_error("bad escape: " + line);
                        }
                    } else {
                        value += line[i];
                    }
                }
                ++i;  // closing quote
                if (!labels.emplace(key, value).second) throw std::runtime_error("duplicate label " + key);
                if (i < line.size() && line[i] == ',') ++i;
            }
            if (i >= line.size()) throw std::runtime_error("unterminated label set: " + line);
            ++i;  // '}'
        }
        if (i >= line.size() || line[i] != ' ') throw std::runtime_error("no space before the value: " + line);
        ++i;
        const std::string rest = line.substr(i);
        const std::size_t space = rest.find(' ');
        const double value = parse_value(rest.substr(0, space));
        if (space != std::string::npos) {
            if (!is_integer(rest.substr(space + 1))) throw std::runtime_error("bad timestamp: " + line);
        }
        std::string key = name;
        if (!labels.empty()) {
            key += '{';
            bool first = true;
            for (const auto& [label, label_value] : labels) {
                if (!first) key += ',';
                first = false;
                key += label + "=\"" + label_value + "\"";
            }
            key += '}';
        }
        if (!result.series.emplace(key, value).second) throw std::runtime_error("duplicate series " + key);
    }
    for (const auto& [family, type] : result.types) {
        if (!result.help.count(family)) throw std::runtime_error("no HELP for " + family);
    }
    return result;
}

}  // namespace ailab::test_support
