#pragma once
// TFRecord framing, as TensorBoard event files (events.out.tfevents.*) store their records:
//
//     uint64 length (little-endian)
//     uint32 masked crc32c of the 8 length bytes (little-endian)
//     length bytes of data
//     uint32 masked crc32c of the data (little-endian)
//
// next_frame() reads one frame from bytes that start at a frame boundary and says how far to
// advance; it never reads past `bytes` and never allocates. A writer that is still appending
// leaves a partial frame at the end, which comes back as `partial` with the size it will have.
//
// Pure functions; any thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ailab::runs::formats {

inline constexpr std::size_t frame_header_bytes = 12;  // length and its checksum
inline constexpr std::size_t frame_footer_bytes = 4;   // the data's checksum

enum class FrameStatus {
    record,          // a whole frame with good checksums
    partial,         // the bytes end inside the frame: read more and try again
    bad_length_crc,  // the length's checksum is wrong: not a frame boundary (advance by one and resync)
    bad_data_crc,    // the data's checksum is wrong: skip the frame
    too_large,       // the length (with a good checksum) exceeds max_record_bytes: skip the frame
};

struct Frame {
    FrameStatus status = FrameStatus::partial;
    // Bytes to advance past. record, bad_data_crc, too_large: the whole frame (12 + length + 4,
    // which for too_large may reach beyond `bytes`; it saturates at UINT64_MAX); bad_length_crc: 1;
    // partial: 0.
    std::uint64_t consumed = 0;
    // partial: the bytes the whole frame needs from its start when the header is complete and its
    // checksum good (12 + length + 4, saturating), else 12. 0 otherwise.
    std::uint64_t needed = 0;
    // record and bad_data_crc: the payload, a view into `bytes`. Empty otherwise.
    std::string_view data;
};

// Reads the frame at the start of `bytes`. Length checksum first (a bad one is bad_length_crc even
// when the rest is missing), then the length limit (too_large never looks at the data bytes), then
// completeness (partial), then the data checksum when verify_data_crc (else a complete frame is a
// record whatever its footer holds).
Frame next_frame(std::string_view bytes, std::uint64_t max_record_bytes, bool verify_data_crc = true);

// The frame that holds `data` (the writer's side: tests and benchmark generators).
std::string encode_frame(std::string_view data);

}  // namespace ailab::runs::formats
