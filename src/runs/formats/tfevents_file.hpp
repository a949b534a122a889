#pragma once
// Tails one TensorBoard event file: each read() decodes the records appended since the last one.
// Used by the TensorBoard reader (every file of a run) and the Hugging Face reader (its
// runs/<date>/ files).
//
// - A truncated last record waits for the rest of its bytes: offset() stays at its start.
// - A bad length CRC is not a frame boundary: one bad_record(), then the reading resyncs byte by
//   byte until a frame checks out again.
// - A bad data CRC, a record that does not decode, or one larger than max_event_record_bytes: one
//   bad_record(), and the reading goes on after the frame.
// - A file that shrank, or was replaced (other inode, other first bytes): restart() is called
//   before anything of the new read, and reading starts again at 0.
//
// Not thread-safe: one tail per file, used by one thread at a time. Reads go through the results
// root (confined, regular files only) into the context's buffer; a record larger than the buffer
// is read into a private string that is freed after it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "runs/format.hpp"
#include "runs/formats/tf_event.hpp"

namespace ailab::runs::formats {

inline constexpr std::uint64_t max_event_record_bytes = std::uint64_t{64} << 20;

class EventFileTail {
public:
    explicit EventFileTail(std::string relative) : relative_(std::move(relative)) {}

    struct Visitor {
        virtual ~Visitor() = default;
        // The file was replaced or truncated: forget what came from it; events follow from 0.
        virtual void restart() {}
        // One decoded event whose frame starts at `offset` in the file. The views in `event`
        // point into the record (EventFileTail::record()), valid during the call.
        virtual void event(const TfEvent& event, std::uint64_t offset) = 0;
        virtual void bad_record() = 0;
    };
    struct Outcome {
        ReadStatus status = ReadStatus::unchanged;
    };

    // Reads the frames appended since the last call, stopping at the first frame boundary at or
    // past max_bytes (then `more`: call again). appended: frames were consumed (or restart() came);
    // unchanged: none (a partial last frame does not count); vanished: the file is gone;
    // unreadable: it cannot be opened or read (error() says why, with the path below results).
    Outcome read(const ReadContext& context, Visitor& visitor, std::size_t max_bytes);

    // Just after the last complete frame.
    std::uint64_t offset() const { return offset_; }
    const FileIdentity& identity() const { return identity_; }
    const std::string& relative() const { return relative_; }
    const std::string& error() const { return error_; }
    // During Visitor::event: the record's bytes, and where they start in the file (so a view
    // into them has the file offset record_offset() + (view.data() - record().data())).
    std::string_view record() const { return record_; }
    std::uint64_t record_offset() const { return record_offset_; }

private:
    static constexpr std::size_t head_bytes = 32;

    // Whether the file's first bytes are still those seen before (a rewrite in place changes them).
    bool same_head(int fd) const;
    Outcome fail(ReadStatus status, std::string text);

    std::string relative_;
    std::uint64_t offset_ = 0;
    FileIdentity identity_;
    char head_[head_bytes] = {};  // the file's first bytes, to tell a rewrite
    std::uint8_t head_length_ = 0;
    bool resyncing_ = false;     // inside bytes after a bad length CRC (counted once)
    std::uint64_t skip_to_ = 0;  // the end of a too-large record that goes past the end of the file
    std::string_view record_;    // during Visitor::event
    std::uint64_t record_offset_ = 0;
    std::string error_;
    TfEvent event_;  // reused: decoding allocates nothing once its vectors have grown
};

}  // namespace ailab::runs::formats
