#pragma once
// Reading and saving file content (GET/PUT /api/v1/files/content).
//
// Reads: the file is opened beneath the root with O_NONBLOCK | O_NOCTTY and checked on the
// descriptor (a FIFO or a device is refused, never read). A whole file of at most
// `max_in_memory_bytes` is read at once; a larger one is handed back open, for the route to stream.
// The ETag is the BLAKE2b (16 bytes, 32 hex) of the content: computed while a file is read whole
// into memory, or for a range of a file of at most `max_in_memory_bytes`; larger files get one only
// when it is cached from an earlier read or save. Cached by (device, inode, size, mtime, ctime).
//
// Saves: the precondition (If-Match with the current ETag, or If-None-Match: * to create) is checked
// and the new content written to a temporary file in the same folder (created O_EXCL, mode of the
// old file, fdatasync'ed) and renamed over the old one; a create uses RENAME_NOREPLACE. A failed write
// (a full disk) removes the temporary file and leaves the old file as it was. Saves of one file by
// this server are serialised; a change by another program between the check and the rename is seen
// by comparing inode, size and mtime just before the rename (a 412).
//
// Thread-safe: any thread may call read() and save() at once.

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "core/error.hpp"
#include "core/fd.hpp"
#include "files/roots.hpp"

namespace ailab::files {

inline constexpr std::int64_t max_in_memory_bytes = std::int64_t{16} << 20;  // larger whole reads are streamed

// "bytes=a-b", "bytes=a-", "bytes=-n" (one range); first == nullopt for a suffix of `last` bytes.
struct ByteRange {
    std::optional<std::int64_t> first;
    std::optional<std::int64_t> last;
};
// nullopt when the header is not one range in bytes (the caller then serves the whole file).
std::optional<ByteRange> parse_range(std::string_view header);

struct ContentType {
    std::string mime;          // e.g. "text/plain; charset=utf-8"
    bool inline_safe = false;  // false: Content-Disposition: attachment (html, svg, xml, js, unknown)
};
// From the extension, checked against a sniff of the first bytes.
ContentType content_type_of(std::string_view name, std::string_view head);

enum class ReadOutcome { whole, streamed, partial, unsatisfiable };

struct FileContent {
    ReadOutcome outcome = ReadOutcome::whole;
    std::string bytes;
    std::int64_t size = 0;  // of the whole file
    std::int64_t first = 0;
    std::int64_t last = -1;  // inclusive, for partial
    std::string etag;        // 32 hex; "" when not known (a large file not hashed yet)
    ContentType type;
    std::shared_ptr<core::OwnedFd> file;  // streamed: the open file, `size` bytes to send
};

enum class Precondition { if_match, create_only };

enum class SaveOutcome { saved, precondition_failed };

struct SaveResult {
    SaveOutcome outcome = SaveOutcome::saved;
    std::string etag;  // of the new content; or the current one for precondition_failed ("" none)
    std::int64_t size = 0;
};

class ContentStore {
public:
    // `path` has passed check_path. Errors: not found, EISDIR for a folder, EPERM for a FIFO or a
    // device.
    core::Result<FileContent> read(const Root& root, const std::string& path, std::optional<ByteRange> range);
    // EACCES for a read-only path, ELOOP when the last component is a symbolic link.
    core::Result<SaveResult> save(const Root& root, const std::string& path, Precondition precondition,
                                  std::string_view etag, std::string_view bytes);

private:
    using Key = std::tuple<dev_t, ino_t, std::int64_t, std::int64_t, std::int64_t>;  // dev, ino, size, mtime, ctime
    std::optional<std::string> cached_etag(const Key& key);
    void remember_etag(const Key& key, std::string etag);
    // The ETag of an opened regular file (cached, or hashed now).
    core::Result<std::string> etag_of(int fd, const Key& key);

    std::mutex cache_mutex_;  // guards etags_
    std::map<Key, std::string> etags_;
    std::array<std::mutex, 64> save_locks_;  // by hash of (folder, name)
};

}  // namespace ailab::files
