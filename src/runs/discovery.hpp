#pragma once
// Finding runs under the results folder. A run is a folder that holds `ailab.log` (preferred) or
// `log.txt`, at depth 1..max_depth below the root (a child of the root has depth 1). Folders whose
// name starts with '.' (so `.ailab-trash`) are skipped, and a run's own subfolders are not searched
// for further runs. Listing uses openat/getdents on directory descriptors, so a scan costs about
// one system call per folder.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ailab::runs {

inline constexpr std::string_view trash_folder_name = ".ailab-trash";
inline constexpr std::string_view log_file_names[] = {"ailab.log", "log.txt"};

// What one folder holds, as far as discovery cares.
struct FolderListing {
    bool exists = false;
    std::int64_t mtime_ns = 0;
    std::string log_file;                 // "" when it holds no log
    std::vector<std::string> subfolders;  // names, sorted; dot-folders left out
};

// Lists `path`. Symbolic links to folders count as folders.
FolderListing list_folder(const std::string& path);

struct FoundRun {
    std::string path;      // relative to the root, '/'-separated
    std::string log_file;  // "ailab.log" or "log.txt"
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
// to result. relative "" with depth 0 scans the whole tree.
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

}  // namespace ailab::runs
