#pragma once
// A depth-first walk of a folder beneath a confined root, for the archive and the search. Every
// folder and file is opened through the ConfinedRoot (openat2 RESOLVE_BENEATH or the checked walk)
// with O_NOFOLLOW, so a link is reported as a link and never entered or read through, and an entry
// swapped for a link (or a FIFO) between listing and opening is refused on the opened descriptor.
// Names within a folder come sorted (byte order), folders before their contents.
//
// Memory: one open descriptor and the names of one folder per level of depth. Not thread-safe;
// one walk belongs to one producer.

#include <sys/stat.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/confined.hpp"
#include "core/error.hpp"
#include "core/fd.hpp"

namespace ailab::files {

enum class EntryType { file, folder, link, other };  // other: FIFO, device, socket

struct WalkEntry {
    std::string path;  // relative to the walk's start, "/"-separated ("a/b.txt")
    EntryType type = EntryType::other;
    struct stat info {};  // lstat of the entry when it was listed
};

class TreeWalk {
public:
    // Starts at the folder `start` beneath root ("" for the root itself; a link to a folder inside
    // the root is followed for the start only). Errors: the start's lookup error (EXDEV for a path
    // that leaves the root, ENOENT, ENOTDIR).
    static core::Result<TreeWalk> open(std::shared_ptr<const core::ConfinedRoot> root, std::string start);

    // The next entry, or nullopt at the end. A subfolder that cannot be opened (vanished, no
    // permission, swapped for a link) is reported but not entered. Folders deeper than max_depth
    // are not entered either.
    std::optional<WalkEntry> next();

    // Leaves out the contents of the folder next() returned last (it is not entered).
    void skip_folder() { pending_folder_.reset(); }

    // The regular file `entry` names, opened read-only through the root with O_NOFOLLOW and
    // O_NONBLOCK; refused (EINVAL) when what is there now is not a regular file. `info` gets its
    // fstat.
    core::Result<core::OwnedFd> open_file(const WalkEntry& entry, struct stat& info) const;
    // The target text of the link `entry` names (read, never followed).
    core::Result<std::string> read_link(const WalkEntry& entry) const;

    // `entry.path` relative to the root (the start joined in front).
    std::string root_path(std::string_view path) const;

    static constexpr std::size_t max_depth = 256;

private:
    struct Frame {
        core::OwnedFd fd;                // the folder, opened through the root
        std::string path;                // relative to the start, "" for the start itself
        std::vector<std::string> names;  // sorted
        std::size_t index = 0;
    };
    TreeWalk(std::shared_ptr<const core::ConfinedRoot> root, std::string start)
        : root_(std::move(root)), start_(std::move(start)) {}
    // Opens the folder `path` (relative to the start) and pushes its frame; false when it cannot.
    bool enter(const std::string& path, core::OwnedFd fd);

    std::shared_ptr<const core::ConfinedRoot> root_;
    std::string start_;
    std::vector<Frame> stack_;
    std::optional<std::string> pending_folder_;  // the folder returned last, entered on the next call
};

// Joins two "/"-separated relative paths ("" is the empty path).
std::string join_path(std::string_view left, std::string_view right);

}  // namespace ailab::files
