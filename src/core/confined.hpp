#pragma once
// Confined paths: every file a feature opens, creates or moves below a folder the users share
// (results, later workspaces and job folders) goes through a ConfinedRoot, so a symbolic link or a
// ".." planted there can never make the server read, write or move anything outside that folder.
//
// The rule, the same on both code paths:
//   - `relative` is a path below the root: not absolute, no NUL byte. "" and "." name the root.
//   - ".." is allowed while it stays at or below the root; one that would climb above it is refused.
//   - Symbolic links are followed while they stay inside the root, relative ones and absolute ones
//     that name the root's own (canonical) path alike; a link that leads outside is refused with
//     EXDEV and the message "... leaves the root folder". More than 40 links in one lookup: ELOOP.
//   - The last component of a rename is moved itself (a link is moved, not followed).
//
// Where the kernel has openat2 (Linux 5.6), a lookup is one openat2(RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS) relative to the root's descriptor. RESOLVE_BENEATH refuses absolute links
// even when they point inside; such a lookup (EXDEV) is retried with the walk, which decides. The
// walk opens one component at a time with O_NOFOLLOW relative to the previous folder's descriptor,
// reads links itself and keeps the folders opened so far on a stack, so ".." pops the stack
// instead of asking the kernel for a parent (which a concurrent rename could move out).
//
// A ConfinedRoot is immutable after open(); its const members may be called from any thread.

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/file.hpp"

namespace ailab::core {

// How a ConfinedRoot looks paths up. `automatic`: openat2 where the kernel has it, the walk where
// it does not. `walk`: always the walk (tests use it to cover the fallback on any kernel).
enum class Resolver { automatic, walk };

class ConfinedRoot {
public:
    // Opens the folder `root` (symbolic links in `root` itself are followed: it is the trusted
    // part) and remembers its canonical path for absolute links that point inside.
    static Result<ConfinedRoot> open(const std::filesystem::path& root, Resolver resolver = Resolver::automatic);

    // open(2) of `relative` beneath the root with `flags` (O_CLOEXEC is always added; O_NOFOLLOW
    // refuses a link in the last component, as open(2) does). `mode` is used with O_CREAT only.
    Result<OwnedFd> open_file(std::string_view relative, int flags, mode_t mode = 0644) const;
    // A readable descriptor of the folder `relative` beneath the root (O_RDONLY | O_DIRECTORY).
    Result<OwnedFd> open_folder(std::string_view relative) const;
    // At most max_bytes of the regular file `relative`. Anything but a regular file (a FIFO, a
    // device) is refused on the opened descriptor; the open never blocks (O_NONBLOCK | O_NOCTTY).
    Result<std::string> read_file(std::string_view relative, std::size_t max_bytes = default_small_file_bytes) const;
    // Moves `from` to `to` with renameat2(RENAME_NOREPLACE) relative to the descriptors of their
    // confined parent folders: an existing `to` (even an empty folder) is never replaced (EEXIST).
    // Where the file system lacks RENAME_NOREPLACE, a check just before a plain renameat stands in.
    Status rename_noreplace(std::string_view from, std::string_view to) const;
    // Creates `relative` and its missing parents beneath the root (mkdir -p); an existing folder is
    // fine, an existing link that leads outside is refused.
    Status make_folders(std::string_view relative, mode_t mode = 0755) const;

    // The root's descriptor (O_RDONLY | O_DIRECTORY), owned by this object.
    int fd() const { return fd_.get(); }
    // The root's canonical path when it was opened.
    const std::filesystem::path& path() const { return path_; }
    Resolver resolver() const { return resolver_; }

    // Whether this kernel has openat2 (asked once; ENOSYS means no).
    static bool kernel_has_openat2();

private:
    ConfinedRoot(OwnedFd fd, std::filesystem::path path, Resolver resolver)
        : fd_(std::move(fd)), path_(std::move(path)), resolver_(resolver) {}

    // The descriptor of `relative` opened with flags, or -errno.
    int resolve(std::string_view relative, int flags, mode_t mode) const;
    int resolve_by_walk(std::string_view relative, int flags, mode_t mode) const;

    OwnedFd fd_;
    std::filesystem::path path_;
    Resolver resolver_;
};

// Splits "a/b/c" into "a/b" and "c". The name must be a real entry ("", "." and ".." are refused
// with EINVAL), which is what rename and mkdir need.
Result<std::pair<std::string, std::string>> split_parent(std::string_view relative);

}  // namespace ailab::core
