#pragma once
// A terminal's scrollback: the last `capacity` bytes of its output stream, addressed by absolute
// offsets (byte N of the stream stays byte N forever). Memory grows with the output up to the
// capacity, so an idle terminal holds little. Not thread-safe: its Terminal's mutex guards it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ailab::terminals {

class ByteRing {
public:
    explicit ByteRing(std::size_t capacity);

    // Bytes that leave the ring, oldest first, so that a caller can keep the state they set (the
    // terminal modes at the ring's start).
    using Evicted = std::function<void(std::string_view)>;

    void append(std::string_view bytes, const Evicted& evicted = nullptr);

    std::int64_t start_offset() const { return end_ - static_cast<std::int64_t>(size_); }
    std::int64_t end_offset() const { return end_; }
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }
    // Bytes of memory the ring holds now (at most capacity()).
    std::size_t allocated() const { return buffer_.size(); }
    // Whether the stream from `offset` on is still here (start_offset() <= offset <= end_offset()).
    bool holds(std::int64_t offset) const { return offset >= start_offset() && offset <= end_; }

    // Calls visit with the held bytes in [from, to), in order, in at most two pieces. from and to
    // are clamped to what is held.
    void visit(std::int64_t from, std::int64_t to, const std::function<void(std::string_view)>& visit) const;
    // A copy of at most max_bytes held bytes from `from`.
    std::string copy(std::int64_t from, std::size_t max_bytes) const;
    // The offset just after the first `byte` at or after `from`, or -1 when none is held.
    std::int64_t offset_after(char byte, std::int64_t from) const;

private:
    std::size_t capacity_;
    std::vector<char> buffer_;  // grows up to capacity_; circular once it is full
    std::size_t head_ = 0;      // index of the oldest byte
    std::size_t size_ = 0;      // bytes held
    std::int64_t end_ = 0;      // stream offset just after the newest byte
};

}  // namespace ailab::terminals
