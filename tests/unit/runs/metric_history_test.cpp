#include "runs/metric_history.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace ailab::runs {
namespace {

LineX x_of(double step) { return LineX{step, 1000.0 + step, step / 100.0}; }

void add(MetricHistory& history, double step, std::uint32_t metric, double value) {
    MetricHistory::Value values[] = {{metric, value}};
    history.add_line(static_cast<std::uint64_t>(step) * 10, x_of(step), values);
}

TEST(MetricHistory, ExactWhileItFits) {
    MetricHistory history(8);
    auto loss = history.metric_index("loss");
    for (int i = 0; i < 8; ++i) add(history, i, loss, i * 0.5);
    EXPECT_EQ(history.lines_per_bucket(), 1u);
    auto series = history.series(loss, XAxis::step, 100);
    ASSERT_TRUE(series);
    ASSERT_EQ(series->x.size(), 8u);
    EXPECT_EQ(series->x[3], 3.0);
    EXPECT_EQ(series->y[3], 1.5);
    auto by_time = history.series(loss, XAxis::time, 100);
    EXPECT_EQ(by_time->x[3], 1003.0);
}

TEST(MetricHistory, HalvesWhenFullAndKeepsMinimumAndMaximum) {
    MetricHistory history(8);
    auto loss = history.metric_index("loss");
    // A spike at line 13 must survive every halving.
    for (int i = 0; i < 100; ++i) add(history, i, loss, i == 13 ? 50.0 : 1.0 + (i % 2) * 0.25);
    EXPECT_EQ(history.line_count(), 100u);
    EXPECT_LE(history.bucket_count(), 8u);
    EXPECT_EQ(history.lines_per_bucket(), 16u);
    auto series = history.series(loss, XAxis::step, 8);
    ASSERT_TRUE(series);
    EXPECT_LE(series->x.size(), 8u);
    EXPECT_EQ(*std::max_element(series->y.begin(), series->y.end()), 50.0);
    EXPECT_EQ(*std::min_element(series->y.begin(), series->y.end()), 1.0);
    // x stays increasing.
    EXPECT_TRUE(std::is_sorted(series->x.begin(), series->x.end()));
}

TEST(MetricHistory, AsksForTheDiskWhenItLacksResolution) {
    MetricHistory history(8);
    auto loss = history.metric_index("loss");
    for (int i = 0; i < 100; ++i) add(history, i, loss, i);
    EXPECT_FALSE(history.series(loss, XAxis::step, 100));  // wants 50 groups, holds 7
    EXPECT_TRUE(history.series(loss, XAxis::step, 10));
}

TEST(MetricHistory, OffsetIndexPointsAtEachBucketsFirstLine) {
    MetricHistory history(4);
    auto loss = history.metric_index("loss");
    for (int i = 0; i < 16; ++i) add(history, i, loss, i);
    ASSERT_EQ(history.lines_per_bucket(), 4u);
    ASSERT_EQ(history.bucket_count(), 4u);
    EXPECT_EQ(history.bucket_offset(0), 0u);
    EXPECT_EQ(history.bucket_offset(1), 40u);  // line 4 at offset 4 × 10
    EXPECT_EQ(history.bucket_offset(3), 120u);
}

TEST(MetricHistory, MetricsThatStartLateOrSkipLines) {
    MetricHistory history(16);
    auto loss = history.metric_index("loss");
    for (int i = 0; i < 4; ++i) add(history, i, loss, 1.0);
    auto accuracy = history.metric_index("acc");
    EXPECT_EQ(history.metric_index("loss"), loss);
    add(history, 4, accuracy, 0.9);
    auto series = history.series(accuracy, XAxis::step, 100);
    ASSERT_TRUE(series);
    ASSERT_EQ(series->x.size(), 1u);
    EXPECT_EQ(series->x[0], 4.0);
    EXPECT_EQ(history.metric_names(), (std::vector<std::string>{"loss", "acc"}));
    EXPECT_FALSE(history.find_metric("nope"));
    EXPECT_TRUE(history.series(99, XAxis::step, 100)->x.empty());
}

TEST(MetricHistory, LinesWithoutTheAxisAreLeftOut) {
    MetricHistory history(16);
    auto loss = history.metric_index("loss");
    MetricHistory::Value value[] = {{loss, 1.0}};
    history.add_line(0, LineX{0, std::nan(""), std::nan("")}, value);
    history.add_line(10, LineX{1, 1001, 0.5}, value);
    EXPECT_EQ(history.series(loss, XAxis::time, 100)->x.size(), 1u);
    EXPECT_EQ(history.series(loss, XAxis::step, 100)->x.size(), 2u);
}

TEST(MetricHistory, MemoryIsBoundedByCapacity) {
    MetricHistory history(512);
    auto loss = history.metric_index("loss");
    auto rate = history.metric_index("lr");
    for (int i = 0; i < 200'000; ++i) {
        MetricHistory::Value values[] = {{loss, 1.0 / (i + 1)}, {rate, 0.001}};
        history.add_line(static_cast<std::uint64_t>(i) * 100, x_of(i), values);
    }
    EXPECT_LE(history.bucket_count(), 512u);
    EXPECT_LT(history.memory_bytes(), 64u * 1024);
}

TEST(Downsample, MinMaxPerGroupInOrderOfOccurrence) {
    std::vector<Aggregate> points;
    double values[] = {5, 1, 9, 3, 4, 4, 2, 8};
    for (int i = 0; i < 8; ++i) points.push_back(Aggregate{values[i], values[i], double(i), double(i), true});
    auto series = downsample(points, 4);  // 2 groups of 4
    EXPECT_EQ(series.x, (std::vector<double>{1, 2, 6, 7}));
    EXPECT_EQ(series.y, (std::vector<double>{1, 9, 2, 8}));
    auto exact = downsample(points, 8);
    EXPECT_EQ(exact.y.size(), 8u);
    auto constant = downsample(std::vector<Aggregate>(10, Aggregate{2, 2, 0, 0, true}), 4);
    EXPECT_EQ(constant.y, (std::vector<double>{2, 2}));  // one point per group when min == max
}

}  // namespace
}  // namespace ailab::runs
