#pragma once
// Little-endian loads from unaligned bytes (TFRecord headers, protobuf fixed32/fixed64, CRC words),
// shared by the event-file decoders.

#include <bit>
#include <cstdint>
#include <cstring>

namespace ailab::runs::formats {

template <class T>
T load_le(const void* bytes) {
    static_assert(sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
    T value;
    std::memcpy(&value, bytes, sizeof value);
    if constexpr (std::endian::native == std::endian::big) {
        if constexpr (sizeof(T) == 8) value = __builtin_bswap64(value);
        if constexpr (sizeof(T) == 4) value = __builtin_bswap32(value);
        if constexpr (sizeof(T) == 2) value = __builtin_bswap16(value);
    }
    return value;
}

}  // namespace ailab::runs::formats
