#include "core/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/fd.hpp"

namespace ailab::core {
namespace {

// Fills buffer from offset 0 until end of file or max_bytes; returns the length or -errno.
ssize_t read_up_to(int fd, std::string& buffer, std::size_t max_bytes) {
    if (buffer.size() > max_bytes) buffer.resize(max_bytes);
    std::size_t length = 0;
    for (;;) {
        if (length == buffer.size()) {
            if (length >= max_bytes) break;
            buffer.resize(std::min(max_bytes, std::max<std::size_t>(4096, buffer.size() * 2)));
        }
        const ssize_t count = ::pread(fd, buffer.data() + length, buffer.size() - length, static_cast<off_t>(length));
        if (count < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (count == 0) break;
        length += static_cast<std::size_t>(count);
    }
    return static_cast<ssize_t>(length);
}

}  // namespace

Result<std::string> read_small_file(int fd, std::size_t max_bytes) {
    struct stat status {};
    if (::fstat(fd, &status) != 0) return Error::from_errno(errno, "cannot inspect the file");
    if (!S_ISREG(status.st_mode)) return Error{boost::system::errc::make_error_code(boost::system::errc::invalid_argument),
                                               "not a regular file"};
    std::string text;
    // st_size is a hint only (pseudo-files say 0, a growing file says less than it holds).
    text.resize(std::min<std::size_t>(max_bytes, std::max<off_t>(status.st_size, 0) + 1));
    const ssize_t length = read_up_to(fd, text, max_bytes);
    if (length < 0) return Error::from_errno(static_cast<int>(-length), "cannot read the file");
    text.resize(static_cast<std::size_t>(length));
    return text;
}

Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat check then refuses it.
    OwnedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return Error::from_errno(errno, "cannot open " + path.filename().string());
    auto text = read_small_file(fd.get(), max_bytes);
    if (!text) return Error::from(text.error(), path.filename().string());
    return text;
}

Status read_pseudo_file(const std::filesystem::path& path, std::string& buffer, std::size_t max_bytes) {
    OwnedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return Error::from_errno(errno, "cannot open " + path.string());
    buffer.resize(std::max<std::size_t>(buffer.capacity(), 4096));
    const ssize_t length = read_up_to(fd.get(), buffer, max_bytes);
    if (length < 0) return Error::from_errno(static_cast<int>(-length), "cannot read " + path.string());
    buffer.resize(static_cast<std::size_t>(length));
    return {};
}

}  // namespace ailab::core
