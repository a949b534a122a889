#pragma once
// Finding runs under the results folder. A run is a folder that holds the marker of a format
// (format.hpp: `ailab.log`, then `log.txt`, then `trainer_state.json` or a `checkpoint-N/` folder,
// then `metrics.csv`, then any `*tfevents*` file; the first in that order wins), at depth 1..max_depth below the root
// (a child of the root has depth 1). Folders whose name starts with '.' (so `.ailab-trash`) are skipped, and a run's
// own subfolders are not searched for further runs. Listing uses openat/getdents on directory descriptors, so a scan
// costs about one system call per folder.
//
// Symbolic links, the rule (issue 8): everything is looked up beneath the results root through a
// core::ConfinedRoot. A link to a folder counts as a subfolder, and is searched, only when it
// resolves to a folder beneath the root (relative or absolute, through ".." or not); a link that
// leaves the root is neither listed nor searched. Links that stay inside are followed, so a run
// reachable by two paths (`latest -> runs/42`) is listed under each, as before. Loops cannot hang
// a scan: a folder whose (device, inode) is already on the path from the root down to it (a link
// or bind mount back to an ancestor) is skipped, and the depth limit bounds the rest.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/confined.hpp"
#include "runs/format.hpp"

namespace ailab::runs {

inline constexpr std::string_view trash_folder_name = ".ailab-trash";
inline constexpr std::string_view log_file_names[] = {"ailab.log", "log.txt"};

// What one folder holds, as far as discovery cares.
struct FolderListing {
    bool exists = false;
    std::int64_t mtime_ns = 0;
    std::string log_file;  // the format's marker ("ailab.log", "metrics.csv", ...); "" when none
    RunFormat format = RunFormat::ailab;
    std::vector<std::string> subfolders;  // names, sorted; dot-folders left out
};

// Lists the folder `relative` beneath root ("" for the root itself). Symbolic links count as
// folders when they resolve to a folder beneath the root (see the rule above).
FolderListing list_folder(const core::ConfinedRoot& root, std::string_view relative);
FolderListing list_folder(const std::filesystem::path& root, std::string_view relative);

struct FoundRun {
    std::string path;      // relative to the root, '/'-separated
    std::string log_file;  // the marker: "ailab.log", "log.txt", "metrics.csv", an event file's name, ...
    RunFormat format = RunFormat::ailab;
};
struct FoundFolder {
    std::string path;  // relative ("" for the root)
    int depth = 0;
    std::int64_t mtime_ns = 0;
};
struct ScanResult {
    std::vector<FoundRun> runs;
    std::vector<FoundFolder> folders;  // the folders that are not runs, the root included
};

// Scans `relative` (depth `depth`) under root and everything below it up to max_depth, appending
// to result. relative "" with depth 0 scans the whole tree. Paths in the result are relative to
// the root. A `relative` that leaves the root finds nothing.
void scan_tree(const core::ConfinedRoot& root, const std::string& relative, int depth, int max_depth,
               ScanResult& result);
void scan_tree(const std::filesystem::path& root, const std::string& relative, int depth, int max_depth,
               ScanResult& result);

// The whole tree under root, the root's subfolders shared out over `threads` threads (the cold
// start of 100,000 runs spends most of its time listing folders).
ScanResult scan_whole_tree(const std::filesystem::path& root, int max_depth, unsigned threads);

// "a/b/c" -> "a/b"; "c" -> "".
std::string parent_path(std::string_view relative);
// Joins root and a relative path ("" -> root itself).
std::string join_path(const std::filesystem::path& root, std::string_view relative);

// The stable id of a run: the first 16 hex digits of the 64-bit FNV-1a hash of its relative path.
std::string run_id(std::string_view relative_path);
// A run's path as the API shows it: "<scope>/<relative>" when its results folder has a scope
// (Settings::scope), else the relative path itself. run_id() of it is the run's id.
std::string scoped_path(std::string_view scope, std::string_view relative);

}  // namespace ailab::runs
