#pragma once
// GET /files/search: a walk of a folder beneath a confined root that matches the query against
// every entry's name and, for regular text files no larger than max_file_bytes, against each line.
// Matching is case-insensitive for ASCII letters. Links are matched by name only: never entered,
// never read (TreeWalk opens everything through the root with O_NOFOLLOW). A file whose first
// 8 KiB hold a NUL byte counts as binary and is not searched. The root's trash (.ailab-trash),
// unfinished uploads and .git folders are left out.
//
// The walk stops at `limit` matches or when `budget` has passed; `truncated` then says so.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/confined.hpp"
#include "core/error.hpp"

namespace ailab::files {

struct SearchOptions {
    std::string query;  // not empty
    std::size_t limit = 200;
    std::uint64_t max_file_bytes = std::uint64_t{1024} * 1024;
    std::chrono::milliseconds budget{2000};
    std::size_t max_text_bytes = 200;  // a matching line is cut to this many bytes
};

struct SearchMatch {
    std::string path;                   // relative to the root
    std::optional<std::uint64_t> line;  // 1-based; absent for a name match
    std::string text;                   // the line (cut), for a text match
};

struct SearchResult {
    std::vector<SearchMatch> matches;
    bool truncated = false;  // the limit or the time budget stopped the walk
};

// Searches the folder `path` beneath root. Errors: the folder's lookup (EXDEV, ENOENT, ENOTDIR),
// EINVAL for an empty query.
core::Result<SearchResult> search_files(std::shared_ptr<const core::ConfinedRoot> root, std::string path,
                                        const SearchOptions& options);

}  // namespace ailab::files
