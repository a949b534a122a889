#pragma once
// Listing one folder beneath a root (GET /api/v1/files/list): every entry with its type (links are
// not followed for the type; their target's type is looked up through the ConfinedRoot, so a link
// that leaves the root says "outside" and nothing about what it points to), size, mtime and
// whether it is hidden; sorted folders first, then by name (byte order); paged.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/confined.hpp"
#include "core/error.hpp"

namespace ailab::files {

enum class EntryType { file, dir, symlink, other };
std::string_view type_name(EntryType type);

struct Entry {
    std::string name;
    EntryType type = EntryType::file;
    std::int64_t size = 0;
    double mtime = 0;  // seconds since the epoch
    bool hidden = false;
    std::string target_type;  // links only: "file", "dir", "other", "outside", "broken"
};

struct Listing {
    std::vector<Entry> entries;  // the page
    std::size_t total = 0;       // entries in the folder
};

// `path` must have passed check_path. offset/limit select the page after sorting.
core::Result<Listing> list_folder(const core::ConfinedRoot& root, const std::string& path, std::size_t offset,
                                  std::size_t limit);

}  // namespace ailab::files
