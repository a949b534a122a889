#include "terminals/flow.hpp"

#include <gtest/gtest.h>

namespace ailab::terminals {
namespace {

TEST(FlowControl, PausesAboveHighWaterAndResumesAtLowWater) {
    FlowControl flow(1000, 200);
    flow.add(1, 0);
    flow.sent_all(1000);
    EXPECT_EQ(flow.update(), FlowState::reading);  // exactly at the mark: still reading
    flow.sent_all(1001);
    EXPECT_EQ(flow.update(), FlowState::paused);
    ASSERT_TRUE(flow.acknowledge(1, 500));
    EXPECT_EQ(flow.update(), FlowState::paused);  // 501 unacknowledged: above low water
    ASSERT_TRUE(flow.acknowledge(1, 801));
    EXPECT_EQ(flow.update(), FlowState::reading);
}

TEST(FlowControl, TheSlowestClientDecidesAndAVanishedOneStopsCounting) {
    FlowControl flow(1000, 200);
    flow.add(1, 0);
    flow.add(2, 0);
    flow.sent_all(5000);
    ASSERT_TRUE(flow.acknowledge(1, 5000));
    EXPECT_EQ(flow.update(), FlowState::paused);  // client 2 is behind
    flow.remove(2);                               // its socket closed
    EXPECT_EQ(flow.update(), FlowState::reading);
}

TEST(FlowControl, RefusesAcknowledgingMoreThanWasSent) {
    FlowControl flow(1000, 200);
    flow.add(1, 100);
    flow.sent_all(300);
    // Bad input: an offset past what was sent, an unknown client, an older acknowledgement.
    EXPECT_FALSE(flow.acknowledge(1, 301));
    EXPECT_FALSE(flow.acknowledge(9, 10));
    ASSERT_TRUE(flow.acknowledge(1, 250));
    ASSERT_TRUE(flow.acknowledge(1, 120));
    EXPECT_EQ(flow.unacknowledged(1), 50);
}

TEST(FlowControl, ALateAttachStartsAtItsOwnOffset) {
    FlowControl flow(1000, 200);
    flow.add(1, 0);
    flow.sent_all(900);
    flow.add(2, 900);  // replay held everything up to 900 and it is sent
    flow.sent_all(900);
    EXPECT_EQ(flow.unacknowledged(2), 0);
    EXPECT_EQ(flow.unacknowledged(1), 900);
    EXPECT_EQ(flow.update(), FlowState::reading);
}

TEST(FlowControl, NamesTheClientsThatStalledAPausedTerminal) {
    FlowControl flow(1000, 200);
    const auto start = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    flow.add(1, 0, start);
    flow.add(2, 0, start);
    flow.sent_all(5000);
    ASSERT_TRUE(flow.acknowledge(1, 4500, start + std::chrono::seconds(9)));
    ASSERT_EQ(flow.update(), FlowState::paused);  // client 1 is 500 behind, client 2 5000
    // Bad input: a client that acknowledged nothing for 10 s; the one that made progress is kept.
    EXPECT_TRUE(flow.stalled(start + std::chrono::seconds(5), std::chrono::seconds(10)).empty());
    EXPECT_EQ(flow.stalled(start + std::chrono::seconds(10), std::chrono::seconds(10)),
              std::vector<FlowControl::ClientId>{2});
    flow.remove(2);
    EXPECT_EQ(flow.update(), FlowState::paused);  // 500 > low water
    ASSERT_TRUE(flow.acknowledge(1, 5000));
    EXPECT_EQ(flow.update(), FlowState::reading);
    EXPECT_TRUE(flow.stalled(start + std::chrono::hours(1), std::chrono::seconds(10)).empty());  // not paused
}

}  // namespace
}  // namespace ailab::terminals
