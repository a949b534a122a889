#pragma once
// Small string helpers every feature uses.

#include <string>
#include <string_view>
#include <vector>

namespace ailab::core {

enum class EmptyParts { keep, skip };

// Splits text at each separator: split("a//b", '/', EmptyParts::skip) == {"a", "b"}.
std::vector<std::string_view> split(std::string_view text, char separator, EmptyParts empty = EmptyParts::keep);

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix);

}  // namespace ailab::core
