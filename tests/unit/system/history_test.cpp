// The fixed-size history: an hour at the sampling rate, 24 hours of minute means.

#include <gtest/gtest.h>

#include <cmath>

#include "system/history.hpp"

namespace ailab::sys {
namespace {

using std::chrono::milliseconds;

SystemSample make_sample(double time, double cpu, double memory, std::vector<std::optional<double>> utilization = {}) {
    SystemSample sample;
    sample.time = time;
    sample.cpu.percent = cpu;
    sample.memory.percent = memory;
    for (std::size_t i = 0; i < utilization.size(); ++i) {
        GpuSample gpu;
        gpu.id = static_cast<int>(i);
        gpu.utilization = utilization[i];
        if (utilization[i]) gpu.memory_used_bytes = static_cast<std::uint64_t>(*utilization[i] * 1000);
        sample.gpus.push_back(gpu);
    }
    return sample;
}

TEST(History, CapacityFollowsTheSampleInterval) {
    EXPECT_EQ(History(milliseconds(1000), {}).capacity(HistoryRange::hour), 3600u);
    EXPECT_EQ(History(milliseconds(5000), {}).capacity(HistoryRange::hour), 720u);
    EXPECT_EQ(History(milliseconds(1000), {}).capacity(HistoryRange::day), 1440u);
}

TEST(History, HourRingKeepsTheNewestOldestFirst) {
    History history(milliseconds(1000), {0});
    const double start = 1'704'189'600.0;  // a minute boundary
    for (int i = 0; i < 3700; ++i) history.add(make_sample(start + i, i % 100, 50.0, {double(i % 100)}));
    const HistorySnapshot snapshot = history.snapshot(HistoryRange::hour);
    EXPECT_EQ(snapshot.interval_s, 1.0);
    ASSERT_EQ(snapshot.points.size(), 3600u);
    EXPECT_EQ(snapshot.points.front().time, start + 100);
    EXPECT_EQ(snapshot.points.back().time, start + 3699);
    EXPECT_EQ(snapshot.points.back().cpu_percent, 99.0);
    ASSERT_EQ(snapshot.gpu_ids, std::vector<int>{0});
    ASSERT_EQ(snapshot.gpu_values.size(), 3600u);
    EXPECT_EQ(snapshot.gpu_values.back().utilization, 99.0);
    EXPECT_EQ(snapshot.gpu_values.front().utilization, 0.0);  // sample 100
}

TEST(History, DayRingHoldsMinuteMeans) {
    History history(milliseconds(1000), {0, 1});
    const double start = 1'704'189'600.0;  // a minute boundary
    // Minute 0: cpu 0..59 (mean 29.5); GPU 0 always 10, GPU 1 unknown. Minute 1 starts the flush.
    for (int i = 0; i < 60; ++i) history.add(make_sample(start + i, i, 20.0, {10.0, std::nullopt}));
    EXPECT_EQ(history.size(HistoryRange::day), 0u);  // a minute enters once it is complete
    history.add(make_sample(start + 60, 0, 20.0, {30.0, 5.0}));
    const HistorySnapshot snapshot = history.snapshot(HistoryRange::day);
    EXPECT_EQ(snapshot.interval_s, 60.0);
    ASSERT_EQ(snapshot.points.size(), 1u);
    EXPECT_EQ(snapshot.points[0].time, start);
    EXPECT_DOUBLE_EQ(snapshot.points[0].cpu_percent, 29.5);
    EXPECT_DOUBLE_EQ(snapshot.points[0].memory_percent, 20.0);
    ASSERT_EQ(snapshot.gpu_values.size(), 2u);
    EXPECT_DOUBLE_EQ(snapshot.gpu_values[0].utilization, 10.0);
    EXPECT_DOUBLE_EQ(snapshot.gpu_values[0].memory_used_bytes, 10000.0);
    EXPECT_TRUE(std::isnan(snapshot.gpu_values[1].utilization));
    EXPECT_TRUE(std::isnan(snapshot.gpu_values[1].memory_used_bytes));
}

TEST(History, DayRingWrapsAfterADay) {
    History history(milliseconds(60'000), {});
    const double start = 1'704'189'600.0;
    for (int minute = 0; minute < 1500; ++minute) history.add(make_sample(start + minute * 60.0, minute, 0.0));
    const HistorySnapshot snapshot = history.snapshot(HistoryRange::day);
    ASSERT_EQ(snapshot.points.size(), 1440u);
    EXPECT_EQ(snapshot.points.back().cpu_percent, 1498.0);  // minute 1499 is still being averaged
    EXPECT_EQ(snapshot.points.front().cpu_percent, 1498.0 - 1439.0);
    EXPECT_TRUE(snapshot.gpu_values.empty());
}

TEST(History, MissingGpusInASampleAreUnknown) {
    History history(milliseconds(1000), {0, 1});
    history.add(make_sample(1'704'189'600.0, 1, 1, {50.0}));  // GPU 1 absent from this sample
    const HistorySnapshot snapshot = history.snapshot(HistoryRange::hour);
    ASSERT_EQ(snapshot.gpu_values.size(), 2u);
    EXPECT_EQ(snapshot.gpu_values[0].utilization, 50.0);
    EXPECT_TRUE(std::isnan(snapshot.gpu_values[1].utilization));
}

}  // namespace
}  // namespace ailab::sys
