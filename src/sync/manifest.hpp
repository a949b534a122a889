#pragma once
// A manifest: what a snapshot holds (docs/API.md "Code sync"). The client builds one from a folder;
// the server validates what it receives and stores the canonical form (sorted by path, compact).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace ailab::sync {

struct ManifestEntry {
    std::string path;  // relative, '/'-separated
    std::int64_t size = 0;
    std::uint32_t mode = 0644;  // permission bits only
    std::string hash;           // "" for a link
    std::string link;           // target of a symbolic link, "" for a file
};

struct Manifest {
    std::vector<ManifestEntry> files;  // sorted by path once validated
    std::int64_t total_bytes() const;
};

struct Limits {
    std::int64_t max_total_bytes = std::int64_t{2} << 30;  // 2 GiB
    std::int64_t max_files = 100'000;
    std::int64_t max_file_bytes = std::int64_t{256} << 20;  // 256 MiB
};

// Why a manifest was refused; `over_limit` distinguishes 413 from 400.
struct ManifestError {
    bool over_limit = false;
    std::string message;  // names the entry or the limit (and, for limits, the largest files)
};

// Parses {"files":[…]} (the JSON body; other keys are ignored), checks every entry (path rules,
// hash form, link staying inside, duplicates) and the limits, and sorts by path.
std::optional<Manifest> parse_manifest(std::string_view json, const Limits& limits, ManifestError& error);
// Validates a manifest built in code (the server's own project snapshots) the same way.
std::optional<ManifestError> validate(Manifest& manifest, const Limits& limits);
// {"files":[…]} with entries in path order: the canonical text; snapshot ids hash it.
std::string to_json(const Manifest& manifest);

// True when `path` is a relative '/'-separated path without empty, "." or ".." segments, NUL or
// backslash, at most 4096 bytes.
bool is_safe_relative_path(std::string_view path);
// True when a link at `path` pointing to `target` stays inside the root, resolved lexically.
bool link_stays_inside(std::string_view path, std::string_view target);

struct ScanOptions {
    Limits limits;  // the scan stops with an error past them, naming the largest files
};

struct ScanResult {
    Manifest manifest;
    std::vector<std::filesystem::path> absolute_paths;  // same order as manifest.files ("" for links)
    std::int64_t ignored = 0;                           // files and folders left out
};

// Walks `root` with the ignore rules (reading .gitignore/.ailabignore as it goes), hashing every
// regular file, keeping symbolic links as links (a link that leaves the root is an error naming
// it) and skipping other kinds (sockets, fifos). Never follows a link into a folder.
core::Result<ScanResult> scan_folder(const std::filesystem::path& root, const ScanOptions& options = {});

}  // namespace ailab::sync
