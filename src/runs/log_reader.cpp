#include "runs/log_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/fd.hpp"
#include "runs/line_parser.hpp"

namespace ailab::runs {

ReadBuffer::ReadBuffer(std::size_t capacity)
    : capacity_(std::max(capacity, max_line_bytes + 2)), data_(new char[capacity_ + line_padding]) {
    std::memset(data_.get() + capacity_, 0, line_padding);
}

FileIdentity identity_of(const struct stat& status) {
    return FileIdentity{status.st_dev, status.st_ino, static_cast<std::int64_t>(status.st_size),
                        static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec};
}

core::Result<FileIdentity> stat_identity(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return core::Error::from_errno(errno, "cannot stat " + path);
    return identity_of(status);
}

core::Result<std::size_t> read_at(int fd, char* data, std::size_t length, std::uint64_t offset) {
    std::size_t done = 0;
    while (done < length) {
        ssize_t n = ::pread(fd, data + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return core::Error::from_errno(errno, "read failed");
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    return done;
}

namespace {

// Reads lines from state.offset until the end of the file, end_offset, or (at a buffer boundary)
// after max_bytes, handing complete lines to the sink.
struct ScanState {
    std::uint64_t offset;        // just after the last complete line
    bool skipping_long_line;     // inside a line longer than max_line_bytes
    std::uint64_t position = 0;  // where reading stopped
};
enum class ScanEnd { end_of_file, budget };

core::Result<ScanEnd> scan_lines(int fd, ScanState& state, ReadBuffer& buffer, LineSink& sink, std::uint64_t max_bytes,
                                 std::uint64_t end_offset, const ReadBudget* budget = nullptr) {
    char* data = buffer.data();
    std::size_t capacity = buffer.capacity();
    std::size_t carried = 0;                // bytes of an unfinished line at the start of the buffer
    std::uint64_t position = state.offset;  // file offset of data[carried]
    std::uint64_t read_total = 0;
    ScanEnd result = ScanEnd::end_of_file;
    while (position < end_offset) {
        if (budget != nullptr) {
            if (auto within = budget->check(); !within) return within.error();
        }
        std::size_t wanted =
            static_cast<std::size_t>(std::min<std::uint64_t>(capacity - carried, end_offset - position));
        auto got = read_at(fd, data + carried, wanted, position);
        if (!got) return got.error();
        std::size_t n = *got;
        if (n == 0) break;
        std::size_t filled = carried + n;
        std::uint64_t buffer_offset = position - carried;  // file offset of data[0]
        position += n;
        read_total += n;
        // Padding after the filled part, so simdjson may read past the last line.
        std::memset(data + filled, 0, line_padding);

        std::size_t start = 0;
        sink.begin_batch();
        while (start < filled) {
            auto* newline = static_cast<char*>(std::memchr(data + start, '\n', filled - start));
            if (newline == nullptr) break;
            auto end = static_cast<std::size_t>(newline - data);
            if (state.skipping_long_line) {
                state.skipping_long_line = false;
                sink.long_line();
            } else if (end - start > max_line_bytes) {
                sink.long_line();
            } else {
                sink.line(std::string_view(data + start, end - start), buffer_offset + start);
            }
            start = end + 1;
            state.offset = buffer_offset + start;
        }
        sink.end_batch();
        std::size_t rest = filled - start;
        if (state.skipping_long_line || rest > max_line_bytes) {
            // An unfinished line already too long: drop its bytes, remember we are inside it.
            state.skipping_long_line = true;
            state.offset = position;
            carried = 0;
        } else {
            std::memmove(data, data + start, rest);
            carried = rest;
        }
        if (read_total >= max_bytes) {
            result = ScanEnd::budget;
            break;
        }
        if (n < wanted) break;  // short read: the end of the file for now
    }
    state.position = position;
    return result;
}

}  // namespace

ReadStatus LogReader::read(const ResultsRoot& root, std::string_view relative, ReadBuffer& buffer, LineSink& sink,
                           std::size_t max_bytes) {
    auto opened = root.open_for_reading(relative);
    if (!opened) {
        error_ = opened.error().message;
        if (opened.error().is(boost::system::errc::no_such_file_or_directory) ||
            opened.error().is(boost::system::errc::not_a_directory)) {
            identity_.size = -1;
            return ReadStatus::vanished;
        }
        return ReadStatus::unreadable;
    }
    core::OwnedFd fd = std::move(*opened);
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) {
        error_ = std::strerror(errno);
        return ReadStatus::unreadable;
    }
    FileIdentity seen = identity_of(status);
    bool same_file = seen.device == identity_.device && seen.inode == identity_.inode && identity_.size >= 0;
    bool reset = offset_ > 0 && (!same_file || static_cast<std::uint64_t>(seen.size) < offset_);

    // The first bytes tell a rewrite in place (open(..., "w") and written past the old size).
    char head[head_bytes];
    auto head_wanted = static_cast<std::size_t>(std::min<std::int64_t>(seen.size, head_bytes));
    std::size_t head_read = 0;
    if (head_wanted > 0) {
        auto got = read_at(fd.get(), head, head_wanted, 0);
        if (!got) {
            error_ = got.error().code.message();
            return ReadStatus::unreadable;
        }
        head_read = *got;
    }
    auto common = std::min<std::size_t>(head_length_, head_read);
    if (!reset && offset_ > 0 && std::memcmp(head, head_, common) != 0) reset = true;

    bool was_reset = reset;
    if (reset) {
        offset_ = 0;
        skipping_long_line_ = false;
        head_length_ = 0;
        sink.reset();
    } else if (identity_.size < 0 && offset_ == 0) {
        sink.reset();  // first read of this file
        was_reset = true;
    }
    std::memcpy(head_, head, head_read);
    head_length_ = static_cast<std::uint8_t>(std::max<std::size_t>(head_length_, head_read));
    identity_ = seen;
    error_.clear();

    if (static_cast<std::uint64_t>(seen.size) <= offset_)
        return was_reset ? ReadStatus::appended : ReadStatus::unchanged;

    ScanState state{offset_, skipping_long_line_};
    auto end = scan_lines(fd.get(), state, buffer, sink, max_bytes, UINT64_MAX);
    offset_ = state.offset;
    skipping_long_line_ = state.skipping_long_line;
    if (!end) {
        error_ = end.error().code.message();
        return ReadStatus::unreadable;
    }
    if (*end == ScanEnd::budget && state.position < static_cast<std::uint64_t>(identity_.size)) return ReadStatus::more;
    return ReadStatus::appended;
}

core::Status read_lines(const ResultsRoot& root, std::string_view relative, std::uint64_t end_offset,
                        ReadBuffer& buffer, LineSink& sink, const ReadBudget& budget) {
    auto fd = root.open_for_reading(relative);
    if (!fd) return core::Error::from(fd.error(), "its log cannot be read");
    struct stat status {};
    if (::fstat(fd->get(), &status) != 0) return core::Error::from_errno(errno, "its log cannot be read");
    // The size budget: what the file held when it was opened (it may grow meanwhile).
    end_offset = std::min<std::uint64_t>(end_offset, static_cast<std::uint64_t>(status.st_size));
    ScanState state{0, false};
    auto end = scan_lines(fd->get(), state, buffer, sink, UINT64_MAX, end_offset, &budget);
    if (!end) return core::Error::from(end.error(), "its log cannot be read");
    return {};
}

}  // namespace ailab::runs
