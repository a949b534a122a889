#include "runs/formats/tfevents_file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "runs/formats/tfrecord.hpp"

namespace ailab::runs::formats {

namespace {

bool is_gone(const core::Error& error) {
    return error.is(boost::system::errc::no_such_file_or_directory) || error.is(boost::system::errc::not_a_directory);
}

std::uint64_t saturating_add(std::uint64_t left, std::uint64_t right) {
    return right > UINT64_MAX - left ? UINT64_MAX : left + right;
}

}  // namespace

bool EventFileTail::same_head(int fd) const {
    if (head_length_ == 0) return true;
    char head[head_bytes];
    auto got = read_at(fd, head, head_length_, 0);
    return got && *got == head_length_ && std::memcmp(head, head_, head_length_) == 0;
}

EventFileTail::Outcome EventFileTail::fail(ReadStatus status, std::string text) {
    error_ = std::move(text);
    return {status};
}

EventFileTail::Outcome EventFileTail::read(const ReadContext& context, Visitor& visitor, std::size_t max_bytes) {
    auto opened = context.root.open_for_reading(relative_);
    if (!opened) {
        const auto& cause = opened.error();
        return fail(is_gone(cause) ? ReadStatus::vanished : ReadStatus::unreadable,
                    "cannot open " + relative_ + ": " + cause.message);
    }
    const int fd = opened->get();
    struct stat status {};
    if (::fstat(fd, &status) != 0) return fail(ReadStatus::unreadable, "cannot read " + relative_);
    const FileIdentity seen = identity_of(status);
    const auto size = static_cast<std::uint64_t>(std::max<off_t>(status.st_size, 0));

    // Replaced (other inode), truncated, or rewritten in place (other first bytes): from 0.
    const bool restarted = identity_.size >= 0 && (seen.device != identity_.device || seen.inode != identity_.inode ||
                                                   size < offset_ || !same_head(fd));
    if (restarted) {
        offset_ = 0;
        skip_to_ = 0;
        head_length_ = 0;
        resyncing_ = false;
        visitor.restart();
    }
    if (head_length_ < head_bytes && size > head_length_) {
        auto got = read_at(fd, head_, static_cast<std::size_t>(std::min<std::uint64_t>(size, head_bytes)), 0);
        if (!got) return fail(ReadStatus::unreadable, "cannot read " + relative_);
        head_length_ = static_cast<std::uint8_t>(*got);
    }

    bool consumed_any = restarted;
    const std::uint64_t budget_end = saturating_add(offset_, std::max<std::size_t>(max_bytes, 1));
    // The rest of a too-large record whose end had not been written at the last read.
    if (skip_to_ > offset_) {
        std::uint64_t target = std::min(skip_to_, size);
        consumed_any = consumed_any || target > offset_;
        offset_ = target;
        if (offset_ == skip_to_) skip_to_ = 0;
    }

    std::string large;  // one frame larger than the buffer, freed when this read ends
    bool stop = false;
    while (!stop && offset_ < size) {
        if (offset_ >= budget_end) {
            identity_ = seen;
            error_.clear();
            return {ReadStatus::more};
        }
        const std::uint64_t chunk_start = offset_;
        std::string_view chunk;
        if (!large.empty()) {
            chunk = large;
        } else {
            auto want = static_cast<std::size_t>(std::min<std::uint64_t>(size - offset_, context.buffer.capacity()));
            auto got = read_at(fd, context.buffer.data(), want, offset_);
            if (!got) return fail(ReadStatus::unreadable, "cannot read " + relative_);
            chunk = std::string_view(context.buffer.data(), *got);
        }
        std::uint64_t at = 0;  // may pass the chunk's end after a too-large frame
        while (at < chunk.size()) {
            const std::uint64_t frame_start = chunk_start + at;
            if (frame_start >= budget_end) break;
            Frame frame = next_frame(chunk.substr(static_cast<std::size_t>(at)), max_event_record_bytes);
            if (frame.status == FrameStatus::partial) {
                if (frame_start + frame.needed > size) {
                    stop = true;  // the writer has not finished it: wait for its bytes
                } else if (at == 0 && large.empty()) {
                    // Bigger than the buffer: read it whole into `large` (next turn of the outer loop).
                    large.resize(static_cast<std::size_t>(frame.needed));
                    auto whole = read_at(fd, large.data(), large.size(), frame_start);
                    if (!whole) return fail(ReadStatus::unreadable, "cannot read " + relative_);
                    if (*whole != large.size()) {
                        large.clear();  // the file shrank while being read: the next read sees it
                        stop = true;
                    }
                } else if (at == 0) {
                    stop = true;  // `large` did not hold the frame: the file changed under us
                }
                break;  // else the next chunk starts at this frame
            }
            consumed_any = true;
            if (frame.status == FrameStatus::bad_length_crc) {
                // Not a frame boundary: count the damage once, then look for one byte by byte.
                if (!resyncing_) visitor.bad_record();
                resyncing_ = true;
                at += frame.consumed;
                continue;
            }
            resyncing_ = false;
            if (frame.status == FrameStatus::record && decode_event(frame.data, event_) == DecodeError::none) {
                record_ = frame.data;
                record_offset_ = frame_start + frame_header_bytes;
                visitor.event(event_, frame_start);
                record_ = {};
            } else {
                visitor.bad_record();  // bad data CRC, too large, or not an Event
            }
            if (frame.consumed > size - frame_start) {
                // Too large, and its end is not written yet: skip what is there now, the rest later.
                skip_to_ = saturating_add(frame_start, frame.consumed);
                at = size - chunk_start;
                stop = true;
                break;
            }
            at += frame.consumed;
        }
        if (at == 0 && large.empty()) stop = true;  // nothing fit (waiting, or the budget)
        offset_ = chunk_start + at;
        if (chunk.data() == large.data()) large.clear();
    }
    identity_ = seen;
    error_.clear();
    return {consumed_any ? ReadStatus::appended : ReadStatus::unchanged};
}

}  // namespace ailab::runs::formats
