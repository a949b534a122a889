#include "sync/describe.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <limits>

#include "core/strings.hpp"
namespace ailab::sync {

namespace {

constexpr std::size_t max_quoted_bytes = 200;

// The `count` largest files first (ties by path), as "a (1.0 MiB), b (12 B)".
std::string largest_files(std::vector<FileSize>& files, std::size_t count) {
    count = std::min(count, files.size());
    std::partial_sort(
        files.begin(), files.begin() + static_cast<std::ptrdiff_t>(count), files.end(),
        [](const FileSize& a, const FileSize& b) { return a.size != b.size ? a.size > b.size : a.path < b.path; });
    std::string text;
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) text += ", ";
        text += quote(files[i].path) + " (" + human_bytes(files[i].size) + ")";
    }
    return text.empty() ? "none" : text;
}

}  // namespace

std::string quote(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    std::size_t i = 0;
    while (i < text.size() && i < max_quoted_bytes) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t length = core::utf8_sequence_length(text.substr(i));
            if (length > 0) {
                out.append(text.substr(i, length));
                i += length;
                continue;
            }
        }
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f || c >= 0x80) {
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        } else {
            out.push_back(static_cast<char>(c));
        }
        ++i;
    }
    if (i < text.size()) out += "…";
    out.push_back('"');
    return out;
}

std::string human_bytes(std::int64_t bytes) {
    if (bytes < 1024) return std::to_string(bytes) + " B";
    static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = static_cast<double>(bytes) / 1024;
    std::size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(units)) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

std::optional<std::string> limit_problem(std::vector<FileSize>& files, std::int64_t entry_count, const Limits& limits) {
    if (entry_count > limits.max_files) {
        return std::to_string(entry_count) + " files, over the limit of " + std::to_string(limits.max_files) +
               " files (sync_max_files); the largest: " + largest_files(files, 5);
    }
    const auto biggest = std::max_element(files.begin(), files.end(), [](const FileSize& a, const FileSize& b) {
        return a.size != b.size ? a.size < b.size : a.path > b.path;
    });
    if (biggest != files.end() && biggest->size > limits.max_file_bytes) {
        const std::string name = quote(biggest->path);
        const std::int64_t size = biggest->size;
        return name + " holds " + human_bytes(size) + ", over the limit of " + human_bytes(limits.max_file_bytes) +
               " for one file (sync_max_file_mib); the largest: " + largest_files(files, 5);
    }
    std::int64_t total = 0;
    for (const auto& file : files) {
        // Sizes come from a client: saturate instead of overflowing.
        total = file.size > std::numeric_limits<std::int64_t>::max() - total ? std::numeric_limits<std::int64_t>::max()
                                                                             : total + file.size;
    }
    if (total > limits.max_total_bytes) {
        return "the files hold " + human_bytes(total) + ", over the limit of " + human_bytes(limits.max_total_bytes) +
               " in total (sync_max_total_mib); the largest: " + largest_files(files, 5);
    }
    return std::nullopt;
}

}  // namespace ailab::sync
