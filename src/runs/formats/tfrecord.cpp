#include "runs/formats/tfrecord.hpp"

#include <bit>
#include <cstring>
#include <limits>

#include "runs/formats/crc32c.hpp"
#include "runs/formats/little_endian.hpp"

namespace ailab::runs::formats {
namespace {

template <class T>
void append_le(std::string& out, T value) {
    if constexpr (std::endian::native == std::endian::big) {
        if constexpr (sizeof(T) == 8) value = __builtin_bswap64(value);
        if constexpr (sizeof(T) == 4) value = __builtin_bswap32(value);
    }
    char bytes[sizeof value];
    std::memcpy(bytes, &value, sizeof value);
    out.append(bytes, sizeof value);
}

constexpr std::uint64_t frame_overhead = frame_header_bytes + frame_footer_bytes;

// 12 + length + 4, saturating rather than wrapping for absurd lengths.
constexpr std::uint64_t frame_bytes(std::uint64_t length) {
    constexpr std::uint64_t most = std::numeric_limits<std::uint64_t>::max();
    return length > most - frame_overhead ? most : length + frame_overhead;
}

}  // namespace

Frame next_frame(std::string_view bytes, std::uint64_t max_record_bytes, bool verify_data_crc) {
    if (bytes.size() < frame_header_bytes) return Frame{FrameStatus::partial, 0, frame_header_bytes, {}};
    const char* header = bytes.data();
    if (mask_crc(crc32c(header, 8)) != load_le<std::uint32_t>(header + 8))
        return Frame{FrameStatus::bad_length_crc, 1, 0, {}};
    const auto length = load_le<std::uint64_t>(header);
    const std::uint64_t total = frame_bytes(length);
    if (length > max_record_bytes) return Frame{FrameStatus::too_large, total, 0, {}};
    if (bytes.size() < total) return Frame{FrameStatus::partial, 0, total, {}};
    const std::string_view data = bytes.substr(frame_header_bytes, static_cast<std::size_t>(length));
    if (verify_data_crc &&
        mask_crc(crc32c(data.data(), data.size())) != load_le<std::uint32_t>(data.data() + data.size()))
        return Frame{FrameStatus::bad_data_crc, total, 0, data};
    return Frame{FrameStatus::record, total, 0, data};
}

std::string encode_frame(std::string_view data) {
    std::string out;
    out.reserve(data.size() + frame_overhead);
    append_le<std::uint64_t>(out, data.size());
    append_le<std::uint32_t>(out, mask_crc(crc32c(out.data(), 8)));
    out.append(data);
    append_le<std::uint32_t>(out, mask_crc(crc32c(data.data(), data.size())));
    return out;
}

}  // namespace ailab::runs::formats
