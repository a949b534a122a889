#include "terminals/ring.hpp"

#include <gtest/gtest.h>

#include <random>

namespace ailab::terminals {
namespace {

TEST(ByteRing, KeepsTheLastCapacityBytesWithAbsoluteOffsets) {
    ByteRing ring(10);
    std::string evicted;
    const auto keep = [&evicted](std::string_view gone) { evicted.append(gone); };
    ring.append("0123456", keep);
    EXPECT_EQ(ring.start_offset(), 0);
    EXPECT_EQ(ring.end_offset(), 7);
    ring.append("789abc", keep);  // wraps: "012" leaves
    EXPECT_EQ(evicted, "012");
    EXPECT_EQ(ring.start_offset(), 3);
    EXPECT_EQ(ring.end_offset(), 13);
    EXPECT_EQ(ring.copy(3, 100), "3456789abc");
    EXPECT_EQ(ring.copy(8, 3), "89a");
    EXPECT_TRUE(ring.holds(3));
    EXPECT_TRUE(ring.holds(13));
    // Bad input: offsets the ring no longer holds or never held.
    EXPECT_FALSE(ring.holds(2));
    EXPECT_FALSE(ring.holds(14));
}

TEST(ByteRing, AnAppendLargerThanTheRingKeepsItsTail) {
    ByteRing ring(4);
    std::string evicted;
    ring.append("ab", [&](std::string_view gone) { evicted.append(gone); });
    ring.append("cdefgh", [&](std::string_view gone) { evicted.append(gone); });
    EXPECT_EQ(evicted, "abcd");
    EXPECT_EQ(ring.copy(0, 100), "efgh");
    EXPECT_EQ(ring.start_offset(), 4);
    EXPECT_EQ(ring.end_offset(), 8);
}

TEST(ByteRing, MatchesAReferenceUnderRandomAppends) {
    // Bad input: appends of every size across the wrap point, compared byte for byte.
    std::mt19937 random(7);
    ByteRing ring(1000);
    std::string all;
    std::string evicted;
    for (int round = 0; round < 2000; ++round) {
        std::string piece(random() % 300, '\0');
        for (auto& byte : piece) byte = static_cast<char>(random());
        all += piece;
        ring.append(piece, [&](std::string_view gone) { evicted.append(gone); });
        const auto held = std::min<std::size_t>(all.size(), 1000);
        ASSERT_EQ(ring.copy(ring.start_offset(), SIZE_MAX), all.substr(all.size() - held));
        ASSERT_EQ(evicted, all.substr(0, all.size() - held));
    }
    EXPECT_EQ(ring.allocated(), 1000u);
}

TEST(ByteRing, GrowsOnlyWithItsContent) {
    ByteRing ring(std::size_t{4} << 20);
    ring.append("hello");
    EXPECT_LT(ring.allocated(), std::size_t{64} * 1024);  // an idle terminal holds little
}

TEST(ByteRing, FindsTheFirstLineStartAcrossTheWrap) {
    ByteRing ring(8);
    ring.append("abcdef\nx");
    ring.append("yz\nq");  // held: "ef\nxyz\nq" from offset 4
    EXPECT_EQ(ring.start_offset(), 4);
    EXPECT_EQ(ring.offset_after('\n', 4), 7);
    EXPECT_EQ(ring.offset_after('\n', 8), 11);
    EXPECT_EQ(ring.offset_after('#', 4), -1);
}

}  // namespace
}  // namespace ailab::terminals
