#pragma once
// A folder beneath a confined root as a .tar.gz, produced in chunks while it is sent
// (GET /files/archive), never built whole: memory stays at one walk (a descriptor and the sorted
// names per level), one read buffer and zlib's state, whatever the folder's size.
//
// What goes in: folders, regular files (their content as read while archiving; a file that
// shrinks meanwhile is padded with zeros, one that grows is cut at the size its header gave), and
// links as links (their target text, never what they point to, so a link out of the root leaks
// nothing). FIFOs, devices and sockets are skipped, as are the root's trash (.ailab-trash) and
// unfinished uploads (.ailab-upload-*). Every entry is opened through the root (TreeWalk).

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/confined.hpp"
#include "core/error.hpp"

namespace ailab::files {

struct ArchiveOptions {
    // zlib level: 1, the fastest, because a folder of checkpoints and images hardly compresses and
    // the archive should go out at disk speed.
    int compression_level = 1;
    // Roughly the compressed bytes one next_chunk() call returns.
    std::size_t chunk_bytes = std::size_t{256} * 1024;
};

struct ArchiveCounts {
    std::size_t files = 0;
    std::size_t folders = 0;
    std::size_t links = 0;
    std::size_t skipped = 0;  // FIFOs, devices, sockets, entries that vanished or could not be opened
    std::uint64_t content_bytes = 0;
};

class FolderArchive {
public:
    // Starts an archive of `path` beneath root whose entries are named "<top_name>/<path in the
    // folder>". Errors: the folder's lookup (EXDEV when it leaves the root, ENOENT, ENOTDIR).
    static core::Result<std::unique_ptr<FolderArchive>> open(std::shared_ptr<const core::ConfinedRoot> root,
                                                             std::string path, std::string top_name,
                                                             ArchiveOptions options = {});
    ~FolderArchive();
    FolderArchive(const FolderArchive&) = delete;
    FolderArchive& operator=(const FolderArchive&) = delete;

    // The next compressed bytes, or nullopt after the last. Throws core::ErrorException when a
    // file fails mid-read (its header is already out, so the archive cannot go on honestly).
    std::optional<std::string> next_chunk();

    const ArchiveCounts& counts() const { return counts_; }

private:
    struct State;
    explicit FolderArchive(std::unique_ptr<State> state);
    // Appends up to about options.chunk_bytes of tar bytes to the state's raw buffer.
    void fill_raw();

    std::unique_ptr<State> state_;
    ArchiveCounts counts_;
};

}  // namespace ailab::files
