#include "files/upload.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace ailab::files {

core::Result<UploadAnswer> receive_upload_chunk(const core::ConfinedRoot& root, const UploadChunk& chunk) {
    auto parts = core::split_parent(chunk.path);
    if (!parts) return parts.error();
    const auto& [folder, name] = *parts;
    if (name.starts_with(upload_prefix)) return core::Error::invalid("a file name may not start with .ailab-upload-");
    if (chunk.offset > chunk.total || chunk.bytes.size() > chunk.total - chunk.offset)
        return core::Error::invalid("the chunk runs past the upload's total size");
    const std::string partial_path = (folder.empty() ? "" : folder + "/") + std::string(upload_prefix) + name;

    // The target must not exist: checked first, so a clash is known before any byte is stored;
    // the final rename checks again (RENAME_NOREPLACE).
    if (auto existing = root.open_file(chunk.path, O_PATH | O_NOFOLLOW); existing)
        return core::Error::from_errno(EEXIST, "cannot upload " + std::string(chunk.path));
    else if (!existing.error().is(boost::system::errc::no_such_file_or_directory))
        return existing.error();

    auto partial = root.open_file(partial_path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (!partial) return partial.error();
    const int fd = partial->get();
    struct stat info {};
    if (::fstat(fd, &info) != 0) return core::Error::from_errno(errno, "cannot stat the upload");
    if (!S_ISREG(info.st_mode)) return core::Error::invalid("the upload's partial file is not a regular file");
    // Held until the descriptor closes: one writer per upload.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
        return core::Error::from_errno(errno == EWOULDBLOCK ? EBUSY : errno,
                                       "another request is uploading " + std::string(chunk.path));
    if (::fstat(fd, &info) != 0) return core::Error::from_errno(errno, "cannot stat the upload");
    const auto held = static_cast<std::uint64_t>(info.st_size);
    if (held > chunk.total) return core::Error::invalid("the server holds more bytes than the upload's total");
    if (held != chunk.offset) return UploadAnswer{held, UploadState::offset_mismatch};

    std::uint64_t written = 0;
    while (written < chunk.bytes.size()) {
        const auto result = ::pwrite(fd, chunk.bytes.data() + written, chunk.bytes.size() - written,
                                     static_cast<off_t>(chunk.offset + written));
        if (result < 0) {
            if (errno == EINTR) continue;
            const int error = errno;
            // Keep what was whole before this chunk: the client retries from there.
            [[maybe_unused]] const int ignored = ::ftruncate(fd, static_cast<off_t>(chunk.offset));
            return core::Error::from_errno(error, "cannot store the upload of " + std::string(chunk.path));
        }
        written += static_cast<std::uint64_t>(result);
    }
    const auto received = chunk.offset + written;
    if (received < chunk.total) return UploadAnswer{received, UploadState::partial};
    if (::fsync(fd) != 0)
        return core::Error::from_errno(errno, "cannot store the upload of " + std::string(chunk.path));
    if (auto moved = root.rename_noreplace(partial_path, chunk.path); !moved) return moved.error();
    return UploadAnswer{received, UploadState::complete};
}

}  // namespace ailab::files
