// TFRecord framing (runs/formats/tfrecord.hpp): whole, partial, corrupt and oversized frames, and
// what each tells the reader to do next.
#include "runs/formats/tfrecord.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "runs/formats/crc32c.hpp"

namespace ailab::runs::formats {
namespace {

constexpr std::uint64_t no_limit = std::numeric_limits<std::uint64_t>::max();

// A header claiming `length` bytes, with a good length checksum.
std::string header_for(std::uint64_t length) {
    std::string header(8, '\0');
    for (int i = 0; i < 8; ++i) header[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    const std::uint32_t crc = mask_crc(crc32c(header.data(), 8));
    for (int i = 0; i < 4; ++i) header.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
    return header;
}

TEST(TfRecord, GoodRecord) {
    const std::string frame = encode_frame("hello");
    ASSERT_EQ(frame.size(), 12u + 5 + 4);
    EXPECT_EQ(frame.substr(0, 12), header_for(5));
    const Frame read = next_frame(frame, 1024);
    EXPECT_EQ(read.status, FrameStatus::record);
    EXPECT_EQ(read.consumed, frame.size());
    EXPECT_EQ(read.data, "hello");
    EXPECT_EQ(read.data.data(), frame.data() + 12);  // a view, not a copy
}

TEST(TfRecord, TruncatedHeaderDataAndFooterArePartial) {
    const std::string frame = encode_frame("0123456789");
    for (std::size_t size = 0; size < frame.size(); ++size) {
        const Frame read = next_frame(std::string_view(frame).substr(0, size), 1024);
        EXPECT_EQ(read.status, FrameStatus::partial) << size;
        EXPECT_EQ(read.consumed, 0u) << size;
        EXPECT_EQ(read.needed, size < 12 ? 12u : frame.size()) << size;
        EXPECT_TRUE(read.data.empty());
    }
}

TEST(TfRecord, ZeroLengthInputIsPartial) {
    const Frame read = next_frame({}, 1024);
    EXPECT_EQ(read.status, FrameStatus::partial);
    EXPECT_EQ(read.needed, 12u);
}

TEST(TfRecord, ZeroLengthRecordIsValid) {
    const std::string frame = encode_frame("");
    ASSERT_EQ(frame.size(), 16u);
    const Frame read = next_frame(frame, 0);
    EXPECT_EQ(read.status, FrameStatus::record);
    EXPECT_EQ(read.consumed, 16u);
    EXPECT_TRUE(read.data.empty());
}

TEST(TfRecord, BadLengthCrcAdvancesOneByte) {
    std::string frame = encode_frame("payload");
    frame[9] ^= 0x01;  // the length checksum
    Frame read = next_frame(frame, 1024);
    EXPECT_EQ(read.status, FrameStatus::bad_length_crc);
    EXPECT_EQ(read.consumed, 1u);
    frame = encode_frame("payload");
    frame[0] ^= 0x01;  // the length itself
    read = next_frame(frame, 1024);
    EXPECT_EQ(read.status, FrameStatus::bad_length_crc);
    // Even with the data missing: the header alone is known to be wrong.
    read = next_frame(std::string_view(frame).substr(0, 12), 1024);
    EXPECT_EQ(read.status, FrameStatus::bad_length_crc);
}

TEST(TfRecord, BadDataCrcSkipsTheFrame) {
    for (std::size_t corrupt : {12u, 15u, 19u, 20u, 22u}) {  // data bytes and footer bytes
        std::string frame = encode_frame("payload");
        frame[corrupt] ^= 0x40;
        const Frame read = next_frame(frame, 1024);
        EXPECT_EQ(read.status, FrameStatus::bad_data_crc) << corrupt;
        EXPECT_EQ(read.consumed, frame.size());
        EXPECT_EQ(read.data.size(), 7u);
        // Without verification the frame is a record.
        const Frame unchecked = next_frame(frame, 1024, false);
        EXPECT_EQ(unchecked.status, FrameStatus::record);
        EXPECT_EQ(unchecked.consumed, frame.size());
    }
}

TEST(TfRecord, TooLargeSkipsWithoutReadingTheData) {
    const std::string frame = encode_frame(std::string(100, 'x'));
    Frame read = next_frame(frame, 99);
    EXPECT_EQ(read.status, FrameStatus::too_large);
    EXPECT_EQ(read.consumed, 116u);
    EXPECT_TRUE(read.data.empty());
    EXPECT_EQ(next_frame(frame, 100).status, FrameStatus::record);
    // Only the header is present: too_large still says how far to skip, beyond the bytes.
    const std::string header = header_for(1ull << 40);
    read = next_frame(header, 1 << 20);
    EXPECT_EQ(read.status, FrameStatus::too_large);
    EXPECT_EQ(read.consumed, (1ull << 40) + 16);
    // An absurd length saturates instead of wrapping.
    read = next_frame(header_for(no_limit - 3), 1 << 20);
    EXPECT_EQ(read.status, FrameStatus::too_large);
    EXPECT_EQ(read.consumed, no_limit);
    read = next_frame(header_for(no_limit - 3), no_limit);
    EXPECT_EQ(read.status, FrameStatus::partial);
    EXPECT_EQ(read.needed, no_limit);
}

TEST(TfRecord, FramesBackToBack) {
    const std::string first = encode_frame("one"), second = encode_frame(""),
                      third = encode_frame(std::string(300, 'z'));
    const std::string bytes = first + second + third + third.substr(0, 20);
    std::string_view rest = bytes;
    std::vector<std::string_view> records;
    while (true) {
        const Frame read = next_frame(rest, 1024);
        if (read.status == FrameStatus::partial) {
            EXPECT_EQ(read.needed, third.size());
            EXPECT_EQ(rest.size(), 20u);
            break;
        }
        ASSERT_EQ(read.status, FrameStatus::record);
        records.push_back(read.data);
        rest.remove_prefix(read.consumed);
    }
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0], "one");
    EXPECT_EQ(records[1], "");
    EXPECT_EQ(records[2], std::string(300, 'z'));
}

TEST(TfRecord, ResyncAfterGarbage) {
    const std::string bytes = std::string("garbage!") + encode_frame("found");
    std::string_view rest = bytes;
    std::size_t skipped = 0;
    Frame read;
    while ((read = next_frame(rest, 1024)).status == FrameStatus::bad_length_crc) {
        rest.remove_prefix(read.consumed);
        ++skipped;
    }
    EXPECT_EQ(skipped, 8u);
    EXPECT_EQ(read.status, FrameStatus::record);
    EXPECT_EQ(read.data, "found");
}

}  // namespace
}  // namespace ailab::runs::formats
