#pragma once
// The results folder as a confined root (core/confined.hpp), shared by every reader of run files:
// logs, side files (config.json, hparams.yaml), folder listings, and later images and event
// files. A results share is writable by many people, so a link planted in it (a log or config
// pointing at /etc/passwd, a run folder pointing elsewhere) must never make the server read
// outside it: links that stay inside results are followed, those that leave it are refused.
// Only regular files are read (a FIFO or a device named like a log is refused on the opened
// descriptor, and opening never blocks).
//
// Thread-safe. The root's descriptor is reopened when the folder was deleted (and made again).

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/confined.hpp"
#include "core/error.hpp"
#include "core/fd.hpp"

namespace ailab::runs {

class ResultsRoot {
public:
    explicit ResultsRoot(std::filesystem::path results) : path_(std::move(results)) {}

    // Opens a run's file for reading beneath results. Errors: ENOENT/ENOTDIR (gone), EXDEV (a
    // link leaves results), EINVAL (not a regular file), others from open(2).
    core::Result<core::OwnedFd> open_for_reading(std::string_view relative) const;
    // At most max_bytes of the regular file `relative`.
    core::Result<std::string> read_small(std::string_view relative, std::size_t max_bytes) const;
    // Names in the folder `relative` (folders with a trailing '/'), sorted, at most max_entries.
    core::Result<std::vector<std::string>> list(std::string_view relative, std::size_t max_entries) const;

    const std::filesystem::path& path() const { return path_; }

private:
    core::Result<std::shared_ptr<const core::ConfinedRoot>> root() const;

    const std::filesystem::path path_;
    mutable std::mutex mutex_;  // guards root_
    mutable std::shared_ptr<const core::ConfinedRoot> root_;
};

// Limits a long read (replay, export) that runs on a worker: it ends with an error when the
// deadline passes or `stop` is set (the server is stopping).
struct ReadBudget {
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    const std::atomic<bool>* stop = nullptr;
    core::Status check() const;
};

}  // namespace ailab::runs
