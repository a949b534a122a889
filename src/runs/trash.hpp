#pragma once
// Moving runs into results/.ailab-trash/<YYYY-MM-DD>/<path> and back. AI Lab never deletes a run:
// a clean-up is a rename on the same file system, and neither direction ever replaces an existing
// folder (renameat2 RENAME_NOREPLACE; where a file system lacks it, a check before the rename).
//
// Every path is looked up beneath results through a core::ConfinedRoot, and the moves are
// renameat2 calls relative to the descriptors of the confined parent folders: neither the source
// nor the target may resolve outside results (`results/outlink -> /elsewhere` makes the clean-up
// of `outlink/victim` fail, and so does a restore from a trash date folder that links outside).
// A link as the last component is moved itself, never what it points at.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace ailab::runs {

struct TrashItem {
    std::string trash_path;  // relative to results: ".ailab-trash/2024-01-02/project/run"
    std::string path;        // where it came from, relative to results
    double moved_at = 0;     // Unix seconds (the folder's ctime, which the rename set)
};

// The local date "YYYY-MM-DD" of a Unix time.
std::string local_date(double unix_seconds);

// Moves results/<path> to results/.ailab-trash/<date>/<path>. Returns the trash path (relative to
// results) or an error with a message naming the path (never the server's absolute paths).
core::Result<std::string> move_to_trash(const std::filesystem::path& results, const std::string& path,
                                        const std::string& date);

// Moves results/<trash_path> back to results/<original path>. Returns the original path.
core::Result<std::string> restore_from_trash(const std::filesystem::path& results, const std::string& trash_path);

// Every run folder in the trash (a folder holding a log, up to max_depth below its date folder).
// Date folders and folders below them that lead outside results are left out.
std::vector<TrashItem> list_trash(const std::filesystem::path& results, int max_depth);

// Splits a relative path into its parts; an error (EINVAL) for "", absolute paths, a NUL byte,
// and "." / ".." / empty parts.
core::Result<std::vector<std::string>> checked_parts(std::string_view relative);

}  // namespace ailab::runs
