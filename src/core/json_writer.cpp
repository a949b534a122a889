#include "core/json_writer.hpp"

#include <charconv>
#include <cmath>

#include "core/strings.hpp"

namespace ailab::core {

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t i = 0;
    while (i < text.size()) {
        // Copy the longest run that needs no escaping in one go.
        std::size_t start = i;
        while (i < text.size()) {
            auto c = static_cast<unsigned char>(text[i]);
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
            ++i;
        }
        out.append(text.data() + start, i - start);
        if (i == text.size()) break;
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            auto length = utf8_sequence_length(text.substr(i));
            if (length == 0) {
                out.append("\xEF\xBF\xBD");  // U+FFFD replacement character
                ++i;
            } else {
                out.append(text.data() + i, length);
                i += length;
            }
            continue;
        }
        out.push_back('\\');
        switch (c) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '\n': out.push_back('n'); break;
        case '\r': out.push_back('r'); break;
        case '\t': out.push_back('t'); break;
        case '\b': out.push_back('b'); break;
        case '\f': out.push_back('f'); break;
        default:
            out.append("u00");
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        }
        ++i;
    }
    out.push_back('"');
}

void append_number(std::string& out, double value) {
    if (!std::isfinite(value)) return;
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
}

void JsonWriter::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (depth_ == 0) return;
    std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
    if (needs_comma_ & bit) out_.push_back(',');
    needs_comma_ |= bit;
}

void JsonWriter::push() {
    ++depth_;
    needs_comma_ &= ~(std::uint64_t{1} << (depth_ - 1));
}

void JsonWriter::pop() { --depth_; }

void JsonWriter::key(std::string_view name) {
    separate();
    append_json_string(out_, name);
    out_.push_back(':');
    after_key_ = true;
}

void JsonWriter::string(std::string_view text) {
    separate();
    append_json_string(out_, text);
}

void JsonWriter::number(double value) {
    separate();
    if (!std::isfinite(value)) {
        out_.append("null");
        return;
    }
    append_number(out_, value);
}

void JsonWriter::number(float value) {
    separate();
    if (!std::isfinite(value)) {
        out_.append("null");
        return;
    }
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out_.append(buffer, result.ptr);
}

void JsonWriter::integer(std::int64_t value) {
    separate();
    char buffer[24];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out_.append(buffer, result.ptr);
}

void JsonWriter::boolean(bool value) {
    separate();
    out_.append(value ? "true" : "false");
}

void JsonWriter::null() {
    separate();
    out_.append("null");
}

void JsonWriter::raw(std::string_view json) {
    separate();
    out_.append(json);
}

}  // namespace ailab::core
