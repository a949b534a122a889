#pragma once
// Moving runs into results/.ailab-trash/<YYYY-MM-DD>/<path> and back. AI Lab never deletes a run:
// a clean-up is a rename on the same file system, and neither direction ever replaces an existing
// folder (renameat2 RENAME_NOREPLACE; where a file system lacks it, a check before the rename).

#include <filesystem>
#include <string>
#include <vector>

namespace ailab::runs {

struct TrashItem {
    std::string trash_path;  // relative to results: ".ailab-trash/2024-01-02/project/run"
    std::string path;        // where it came from, relative to results
    double moved_at = 0;     // Unix seconds (the folder's ctime, which the rename set)
};

// The local date "YYYY-MM-DD" of a Unix time.
std::string local_date(double unix_seconds);

// Moves results/<path> to results/.ailab-trash/<date>/<path>. Returns the trash path (relative to
// results) or throws std::runtime_error with a clear message.
std::string move_to_trash(const std::filesystem::path& results, const std::string& path, const std::string& date);

// Moves results/<trash_path> back to results/<original path>. Returns the original path or throws.
std::string restore_from_trash(const std::filesystem::path& results, const std::string& trash_path);

// Every run folder in the trash (a folder holding a log, up to max_depth below its date folder).
std::vector<TrashItem> list_trash(const std::filesystem::path& results, int max_depth);

// Splits a relative path into its parts; throws std::invalid_argument for "", absolute paths, and
// "." / ".." / empty parts.
std::vector<std::string> checked_parts(const std::string& relative);

}  // namespace ailab::runs
