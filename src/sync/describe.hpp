#pragma once
// Text for the messages of code sync, shared by validate() and scan_folder(): quoted paths, sizes,
// and the limit check that names the limit and the largest files. Internal to src/sync.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/manifest.hpp"

namespace ailab::sync {

// "text" in double quotes, with '"', '\\', control bytes and bytes that are not valid UTF-8
// written as escapes (\", \\, \n, \xNN), and cut after 200 bytes with "…".
std::string quote(std::string_view text);
// "512 B", "1.5 KiB", "256.0 MiB", "2.0 GiB".
std::string human_bytes(std::int64_t bytes);

struct FileSize {
    std::string_view path;
    std::int64_t size = 0;
};

// The first limit that `files` (regular files) and `entry_count` (files and links) pass, as a
// message naming the limit (with the server's config key) and the five largest files with their
// sizes; nullopt within them.
// Reorders `files`.
std::optional<std::string> limit_problem(std::vector<FileSize>& files, std::int64_t entry_count, const Limits& limits);

}  // namespace ailab::sync
