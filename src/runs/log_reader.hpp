#pragma once
// Incremental reading of a log file: remembers how far it has read (offset), which file that was
// (device, inode) and its first bytes, so each call reads only appended bytes. A file that shrank,
// was replaced (other inode) or rewritten (other first bytes) is read again from the start. A last
// line without its newline is left for later. Lines longer than max_line_bytes are reported as bad
// without ever being held in memory whole.
//
// Not thread-safe: one LogReader belongs to one run and is used by one thread at a time. The read
// buffer is separate and shared by all readers of that thread, so a reader costs ~100 bytes.

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "runs/results_root.hpp"

namespace ailab::runs {

struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    std::int64_t size = -1;  // -1: never seen
    std::int64_t mtime_ns = 0;
    bool operator==(const FileIdentity&) const = default;
};

// A reusable read buffer with simdjson's padding after its end.
class ReadBuffer {
public:
    explicit ReadBuffer(std::size_t capacity = std::size_t{1} << 20);
    char* data() { return data_.get(); }
    std::size_t capacity() const { return capacity_; }

private:
    std::size_t capacity_;
    std::unique_ptr<char[]> data_;
};

// Receives what a read finds. Lines are views into the read buffer, valid during the call, with
// line_padding readable bytes after them.
class LineSink {
public:
    virtual ~LineSink() = default;
    // The file is new or was replaced/truncated: forget everything, reading starts at 0.
    virtual void reset() = 0;
    // Called around the lines of each buffer-full, so the sink can take a lock once per batch.
    virtual void begin_batch() {}
    virtual void end_batch() {}
    // One complete line (without its newline) starting at byte `offset` of the file.
    virtual void line(std::string_view text, std::uint64_t offset) = 0;
    // A line longer than max_line_bytes was skipped.
    virtual void long_line() = 0;
};

enum class ReadStatus {
    unchanged,   // nothing new (the identity may have changed its mtime)
    appended,    // read new bytes (including after a reset)
    more,        // stopped at max_bytes; call again
    vanished,    // the file does not exist
    unreadable,  // it exists but cannot be opened or read
};

class LogReader {
public:
    // Reads what was appended since the last call, at most about max_bytes, from the log at
    // `relative` beneath results (confined: see results_root.hpp).
    ReadStatus read(const ResultsRoot& root, std::string_view relative, ReadBuffer& buffer, LineSink& sink,
                    std::size_t max_bytes = SIZE_MAX);

    // Where the next read starts: just after the last complete line.
    std::uint64_t offset() const { return offset_; }
    const FileIdentity& identity() const { return identity_; }
    // The error text of the last vanished/unreadable result.
    const std::string& error() const { return error_; }
    // Whether `seen` (from stat) differs from what this reader last saw.
    bool changed(const FileIdentity& seen) const { return !(seen == identity_); }

private:
    static constexpr std::size_t head_bytes = 64;

    std::uint64_t offset_ = 0;
    FileIdentity identity_;
    bool skipping_long_line_ = false;  // inside a line longer than max_line_bytes
    std::uint8_t head_length_ = 0;
    char head_[head_bytes] = {};
    std::string error_;
};

// Reads the complete lines of [0, end_offset) of the log at `relative` beneath results into the
// sink (serving full resolution from disk). Never reads past the file's size when it was opened,
// and checks the budget after every buffer. Error: the file cannot be opened or read, or the
// budget ran out (its message says which, without the server's paths).
core::Status read_lines(const ResultsRoot& root, std::string_view relative, std::uint64_t end_offset,
                        ReadBuffer& buffer, LineSink& sink, const ReadBudget& budget);

// pread() until `length` bytes are read or the file ends; returns the count (less than length at
// the end of the file). Retries on EINTR.
core::Result<std::size_t> read_at(int fd, char* data, std::size_t length, std::uint64_t offset);

// stat() of a path as a FileIdentity.
core::Result<FileIdentity> stat_identity(const std::string& path);
FileIdentity identity_of(const struct stat& status);

}  // namespace ailab::runs
