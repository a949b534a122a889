#pragma once
// Chunked, resumable uploads (POST /files/upload). The bytes of `<folder>/<name>` collect in the
// partial file `<folder>/.ailab-upload-<name>`, opened through the confined root with O_NOFOLLOW.
// A chunk must start where the partial file ends (its size is what the server holds, so a retry
// after a dropped connection resumes there); when the partial file reaches `total` it is renamed
// to `<name>` with RENAME_NOREPLACE, so an upload never overwrites a file. Two requests writing the
// same partial file at once: the second is refused (an exclusive, non-blocking flock).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/confined.hpp"
#include "core/error.hpp"

namespace ailab::files {

inline constexpr std::string_view upload_prefix = ".ailab-upload-";

struct UploadChunk {
    std::string_view path;  // the file to create, relative to the root
    std::uint64_t offset = 0;
    std::uint64_t total = 0;
    std::string_view bytes;
};

enum class UploadState {
    partial,          // stored; more to come
    complete,         // the file is in place
    offset_mismatch,  // nothing written: the chunk does not start at `received`
};

struct UploadAnswer {
    std::uint64_t received = 0;  // bytes the server holds for this file
    UploadState state = UploadState::partial;
};

// Stores one chunk. Errors: EEXIST when `path` exists already (before the first byte or at the
// rename), EINVAL for a chunk that runs past `total` or a bad path, EBUSY when another request is
// writing this upload, EXDEV for a folder that leaves the root, ENOENT for a missing folder, and
// the write's own (ENOSPC).
core::Result<UploadAnswer> receive_upload_chunk(const core::ConfinedRoot& root, const UploadChunk& chunk);

}  // namespace ailab::files
