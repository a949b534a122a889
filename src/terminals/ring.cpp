#include "terminals/ring.hpp"

#include <algorithm>
#include <cstring>

namespace ailab::terminals {

namespace {
constexpr std::size_t first_allocation = std::size_t{16} * 1024;
}

ByteRing::ByteRing(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

void ByteRing::append(std::string_view bytes, const Evicted& evicted) {
    if (bytes.empty()) return;
    if (bytes.size() >= capacity_) {
        // Everything held and the front of `bytes` leave at once.
        if (evicted) {
            visit(start_offset(), end_, evicted);
            evicted(bytes.substr(0, bytes.size() - capacity_));
        }
        end_ += static_cast<std::int64_t>(bytes.size());
        bytes = bytes.substr(bytes.size() - capacity_);
        buffer_.resize(capacity_);
        std::memcpy(buffer_.data(), bytes.data(), capacity_);
        head_ = 0;
        size_ = capacity_;
        return;
    }
    // Grow while nothing wrapped yet (head_ is 0 until the first eviction).
    if (size_ + bytes.size() > buffer_.size() && buffer_.size() < capacity_) {
        const auto wanted = std::max({size_ + bytes.size(), buffer_.size() * 2, first_allocation});
        buffer_.resize(std::min(capacity_, wanted));
    }
    if (size_ + bytes.size() > buffer_.size()) {
        const auto overflow = size_ + bytes.size() - buffer_.size();
        if (evicted) visit(start_offset(), start_offset() + static_cast<std::int64_t>(overflow), evicted);
        head_ = (head_ + overflow) % buffer_.size();
        size_ -= overflow;
    }
    auto tail = (head_ + size_) % buffer_.size();
    const auto first = std::min(bytes.size(), buffer_.size() - tail);
    std::memcpy(buffer_.data() + tail, bytes.data(), first);
    std::memcpy(buffer_.data(), bytes.data() + first, bytes.size() - first);
    size_ += bytes.size();
    end_ += static_cast<std::int64_t>(bytes.size());
}

void ByteRing::visit(std::int64_t from, std::int64_t to, const std::function<void(std::string_view)>& visit) const {
    from = std::max(from, start_offset());
    to = std::min(to, end_);
    if (from >= to) return;
    auto index = (head_ + static_cast<std::size_t>(from - start_offset())) % buffer_.size();
    auto left = static_cast<std::size_t>(to - from);
    const auto first = std::min(left, buffer_.size() - index);
    visit(std::string_view(buffer_.data() + index, first));
    if (left > first) visit(std::string_view(buffer_.data(), left - first));
}

std::string ByteRing::copy(std::int64_t from, std::size_t max_bytes) const {
    std::string out;
    from = std::max(from, start_offset());
    const auto to = std::min(end_, from + static_cast<std::int64_t>(std::min<std::size_t>(max_bytes, size_)));
    out.reserve(static_cast<std::size_t>(std::max<std::int64_t>(to - from, 0)));
    visit(from, to, [&out](std::string_view piece) { out.append(piece); });
    return out;
}

std::int64_t ByteRing::offset_after(char byte, std::int64_t from) const {
    std::int64_t found = -1;
    std::int64_t at = std::max(from, start_offset());
    visit(at, end_, [&](std::string_view piece) {
        if (found >= 0) return;
        if (const auto* hit = static_cast<const char*>(std::memchr(piece.data(), byte, piece.size())))
            found = at + (hit - piece.data()) + 1;
        at += static_cast<std::int64_t>(piece.size());
    });
    return found;
}

}  // namespace ailab::terminals
