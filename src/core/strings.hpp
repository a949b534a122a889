#pragma once
// Small string helpers every feature uses.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ailab::core {

enum class EmptyParts { keep, skip };

// Splits text at each separator: split("a//b", '/', EmptyParts::skip) == {"a", "b"}.
std::vector<std::string_view> split(std::string_view text, char separator, EmptyParts empty = EmptyParts::keep);

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix);

// Length of the valid UTF-8 sequence at the start of `text` (1 for ASCII), 0 when it is not one:
// strict, so no overlong forms, no surrogates, nothing above U+10FFFF, nothing cut short.
std::size_t utf8_sequence_length(std::string_view text);
bool is_valid_utf8(std::string_view text);

// A shell-style name, [A-Za-z_][A-Za-z0-9_]* (environment variables, sweep names), in any locale.
bool is_variable_name(std::string_view name);

}  // namespace ailab::core
