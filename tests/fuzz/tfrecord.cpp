// Fuzzes TFRecord framing (runs/formats/tfrecord.hpp) and CRC-32C (runs/formats/crc32c.hpp): the
// input is read as an event file, frame after frame, as the incremental reader does. Contracts
// checked:
//   - nothing crashes or reads outside the input;
//   - consumed is 0 only for partial; bad_length_crc advances by 1; record and bad_data_crc
//     advance by the whole frame and their data lies inside the input, right after the header;
//     too_large carries no data; partial says it needs more bytes than there are;
//   - a record's data checksum is right when verified; encode_frame round-trips the input;
//   - the hardware and software checksums agree, also when continued from a split.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "runs/formats/crc32c.hpp"
#include "runs/formats/tfrecord.hpp"

namespace {

using namespace ailab::runs::formats;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "tfrecord fuzz: %s\n", what);
    std::abort();
}

std::uint32_t stored_crc(const char* bytes) {
    std::uint32_t value = 0;
    for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    return value;
}

void read_frames(std::string_view bytes, std::uint64_t max_record_bytes, bool verify) {
    std::string_view rest = bytes;
    while (true) {
        const Frame frame = next_frame(rest, max_record_bytes, verify);
        switch (frame.status) {
        case FrameStatus::partial:
            if (frame.consumed != 0) fail("partial consumed bytes");
            if (frame.needed < frame_header_bytes || frame.needed <= rest.size()) fail("partial needs too little");
            if (!frame.data.empty()) fail("partial with data");
            return;
        case FrameStatus::bad_length_crc:
            if (frame.consumed != 1) fail("bad_length_crc does not advance by one");
            break;
        case FrameStatus::record:
        case FrameStatus::bad_data_crc:
            if (frame.consumed != frame_header_bytes + frame.data.size() + frame_footer_bytes)
                fail("consumed is not the whole frame");
            if (frame.consumed > rest.size()) fail("a frame beyond the bytes");
            if (frame.data.data() != rest.data() + frame_header_bytes) fail("data not after the header");
            if (frame.data.size() > max_record_bytes) fail("a record over the limit");
            if (frame.status == FrameStatus::record && verify &&
                mask_crc(crc32c_software(frame.data.data(), frame.data.size())) !=
                    stored_crc(frame.data.data() + frame.data.size()))
                fail("a record with a wrong checksum");
            if (frame.status == FrameStatus::bad_data_crc && !verify) fail("bad_data_crc without verification");
            break;
        case FrameStatus::too_large:
            if (!frame.data.empty()) fail("too_large with data");
            if (frame.consumed <= max_record_bytes + frame_header_bytes + frame_footer_bytes)
                fail("too_large consumed too little");
            break;
        }
        if (frame.consumed == 0) fail("no progress");
        if (frame.consumed > rest.size()) return;  // too_large past the end: skipped beyond the input
        rest.remove_prefix(static_cast<std::size_t>(frame.consumed));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    read_frames(bytes, 1 << 20, true);
    read_frames(bytes, 1 << 20, false);
    read_frames(bytes, 16, true);

    const std::string frame = encode_frame(bytes);
    const Frame back = next_frame(frame, size);
    if (back.status != FrameStatus::record || back.data != bytes || back.consumed != frame.size())
        fail("encode_frame does not round-trip");

    const std::uint32_t software = crc32c_software(data, size);
    if (crc32c(data, size) != software) fail("crc32c differs from the software version");
    if (hardware_crc32c_available()) {
        if (crc32c_hardware(data, size) != software) fail("hardware and software checksums differ");
        const std::size_t split = size / 3;
        if (crc32c_hardware(data + split, size - split, crc32c_hardware(data, split)) != software)
            fail("the hardware checksum does not continue");
    }
    return 0;
}
