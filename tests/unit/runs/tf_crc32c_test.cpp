// CRC-32C (runs/formats/crc32c.hpp): published check values, masking, and the hardware and software
// implementations agreeing on every length, alignment and continuation.
#include "runs/formats/crc32c.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace ailab::runs::formats {
namespace {

std::uint32_t crc_of(const std::string& text) { return crc32c(text.data(), text.size()); }

TEST(TfCrc32c, KnownVectors) {
    EXPECT_EQ(crc_of("123456789"), 0xE3069283u);
    EXPECT_EQ(crc_of(std::string(32, '\0')), 0x8A9136AAu);
    EXPECT_EQ(crc_of(std::string(32, '\xff')), 0x62A8AB43u);
    std::string ascending;
    for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
    EXPECT_EQ(crc_of(ascending), 0x46DD794Eu);  // RFC 3720, B.4
    EXPECT_EQ(crc32c(nullptr, 0), 0u);
    for (const auto& text : {std::string("123456789"), ascending}) {
        EXPECT_EQ(crc32c_software(text.data(), text.size()), crc_of(text));
    }
}

TEST(TfCrc32c, ImplementationIsNamed) {
    EXPECT_EQ(crc32c_implementation(), hardware_crc32c_available() ? "sse4.2" : "software");
}

TEST(TfCrc32c, MaskRoundTrips) {
    for (std::uint32_t crc : {0u, 1u, 0xE3069283u, 0xffffffffu, 0x80000000u, 0x12345678u}) {
        EXPECT_EQ(unmask_crc(mask_crc(crc)), crc);
        EXPECT_EQ(mask_crc(unmask_crc(crc)), crc);
    }
    EXPECT_NE(mask_crc(0xE3069283u), 0xE3069283u);
    static_assert(unmask_crc(mask_crc(42u)) == 42u);
    EXPECT_EQ(mask_crc(0), 0xa282ead8u);
    // The length header that starts TensorFlow's event files (a 24-byte file_version record):
    // 18 00 00 00 00 00 00 00 a3 7f 4b 22.
    const unsigned char length[8] = {0x18, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(mask_crc(crc32c(length, sizeof length)), 0x224b7fa3u);
}

TEST(TfCrc32c, HardwareMatchesSoftwareOnEveryLengthAndAlignment) {
    if (!hardware_crc32c_available()) GTEST_SKIP() << "no SSE4.2 on this processor";
    std::mt19937 random(7);
    std::vector<unsigned char> buffer(4100 + 16 + 3 * 8192 * 3);
    for (auto& byte : buffer) byte = static_cast<unsigned char>(random());
    for (std::size_t size = 0; size <= 4100; ++size) {
        const std::size_t start = size % 13;  // misaligned starts
        ASSERT_EQ(crc32c_hardware(buffer.data() + start, size), crc32c_software(buffer.data() + start, size))
            << "size " << size << " start " << start;
    }
    // Lengths that reach the long three-stream blocks (3 x 8192) and the short ones (3 x 256).
    const std::size_t long_block = 8192, short_block = 256;
    for (std::size_t size : {3 * long_block, 3 * long_block + 1, 3 * long_block + 3 * short_block + 7,
                             6 * long_block + 999, buffer.size() - 5}) {
        ASSERT_EQ(crc32c_hardware(buffer.data() + 5, size), crc32c_software(buffer.data() + 5, size)) << size;
    }
}

TEST(TfCrc32c, ContinuationEqualsOneCall) {
    std::mt19937 random(11);
    std::vector<unsigned char> buffer(30000);
    for (auto& byte : buffer) byte = static_cast<unsigned char>(random());
    for (std::size_t split : std::vector<std::size_t>{0, 1, 7, 8, 100, 767, 768, 24576, 29999, 30000}) {
        const std::uint32_t whole = crc32c_software(buffer.data(), buffer.size());
        const std::uint32_t first = crc32c(buffer.data(), split);
        EXPECT_EQ(crc32c(buffer.data() + split, buffer.size() - split, first), whole) << split;
        const std::uint32_t soft = crc32c_software(buffer.data(), split);
        EXPECT_EQ(crc32c_software(buffer.data() + split, buffer.size() - split, soft), whole) << split;
        if (hardware_crc32c_available()) {
            const std::uint32_t hard = crc32c_hardware(buffer.data(), split);
            EXPECT_EQ(crc32c_hardware(buffer.data() + split, buffer.size() - split, hard), whole) << split;
        }
    }
    EXPECT_EQ(crc32c("6789", 4, crc32c("12345", 5)), 0xE3069283u);
}

}  // namespace
}  // namespace ailab::runs::formats
