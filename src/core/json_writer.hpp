#pragma once
// A small streaming JSON writer for hot outputs (run lists, metric series, WebSocket events), shared
// by every feature. It appends to a caller-owned string and never allocates besides growing it.
// Doubles use the shortest round-trip form (std::to_chars); NaN and infinities become null.
// Strings are escaped, and bytes that are not valid UTF-8 (file names can hold any byte) become
// U+FFFD so the output is always valid JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ailab::core {

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    void begin_object() {
        separate();
        out_.push_back('{');
        push();
    }
    void end_object() {
        pop();
        out_.push_back('}');
    }
    void begin_array() {
        separate();
        out_.push_back('[');
        push();
    }
    void end_array() {
        pop();
        out_.push_back(']');
    }

    // Writes "key": and arranges for the next value not to get a comma.
    void key(std::string_view name);
    void string(std::string_view text);
    void number(double value);
    void number(float value);  // shortest form of the float itself ("0.1", not "0.10000000149011612")
    void integer(std::int64_t value);
    void boolean(bool value);
    void null();
    // Inserts already-serialised JSON as one value.
    void raw(std::string_view json);

    void optional_number(const std::optional<double>& value) { value ? number(*value) : null(); }

    // Convenience: key then value.
    template <typename Value>
    void field(std::string_view name, const Value& value) {
        key(name);
        write(value);
    }

private:
    void write(std::string_view text) { string(text); }
    void write(const std::string& text) { string(text); }
    void write(const char* text) { string(text); }
    void write(double value) { number(value); }
    void write(bool value) { boolean(value); }
    void write(std::int64_t value) { integer(value); }
    void write(int value) { integer(value); }
    void write(std::uint64_t value) { integer(static_cast<std::int64_t>(value)); }
    void write(const std::optional<double>& value) { optional_number(value); }
    void write(const std::optional<int>& value) { value ? integer(*value) : null(); }
    void write(const std::optional<std::int64_t>& value) { value ? integer(*value) : null(); }
    void write(const std::optional<std::uint64_t>& value) {
        value ? integer(static_cast<std::int64_t>(*value)) : null();
    }

    void separate();
    void push();
    void pop();

    std::string& out_;
    // One bit per nesting level: whether the next value at that level needs a comma.
    std::uint64_t needs_comma_ = 0;
    int depth_ = 0;
    bool after_key_ = false;
};

// Appends a number in its shortest round-trip form; nothing for NaN and infinities.
void append_number(std::string& out, double value);

// Appends text as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view text);

}  // namespace ailab::core
