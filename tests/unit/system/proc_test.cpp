// /proc parsing against recorded files (tests/fixtures/proc).

#include <gtest/gtest.h>

#include "support.hpp"
#include "core/file.hpp"
#include "system/proc.hpp"

namespace ailab::sys {
namespace {

using testing::fixtures;
using testing::read_text;

TEST(ProcStat, ParsesTheRecordedTwoCoreMachine) {
    CpuTimes total;
    std::vector<CoreTimes> cores;
    ASSERT_TRUE(parse_proc_stat(read_text(fixtures() / "two_cores" / "stat"), total, cores));
    // "cpu  20366 0 2810 91083 865 0 98 25 0 0": busy = user+nice+system+irq+softirq+steal.
    EXPECT_EQ(total.busy, 20366u + 2810u + 98u + 25u);
    EXPECT_EQ(total.total, total.busy + 91083u + 865u);
    ASSERT_EQ(cores.size(), 2u);
    EXPECT_EQ(cores[0].cpu, 0);
    EXPECT_EQ(cores[1].cpu, 1);
    EXPECT_EQ(cores[1].times.busy, 10000u + 1366u + 65u + 14u);
}

TEST(ProcStat, DeltasOfTwoRecordedSamples) {
    CpuTimes first, second;
    std::vector<CoreTimes> first_cores, second_cores;
    ASSERT_TRUE(parse_proc_stat(read_text(fixtures() / "two_cores" / "stat"), first, first_cores));
    ASSERT_TRUE(parse_proc_stat(read_text(fixtures() / "two_cores" / "stat.next"), second, second_cores));
    // All cores: 157 busy of 400 jiffies; cpu0: 1 of 199; cpu1: 156 of 201.
    EXPECT_NEAR(cpu_percent(first, second), 100.0 * 157 / 400, 1e-9);
    EXPECT_NEAR(cpu_percent(first_cores[0].times, second_cores[0].times), 100.0 * 1 / 199, 1e-9);
    EXPECT_NEAR(cpu_percent(first_cores[1].times, second_cores[1].times), 100.0 * 156 / 201, 1e-9);
}

TEST(ProcStat, ManyCoreMachine) {
    CpuTimes first, second;
    std::vector<CoreTimes> first_cores, second_cores;
    ASSERT_TRUE(parse_proc_stat(read_text(fixtures() / "many_cores" / "stat"), first, first_cores));
    ASSERT_TRUE(parse_proc_stat(read_text(fixtures() / "many_cores" / "stat.next"), second, second_cores));
    ASSERT_EQ(first_cores.size(), 128u);
    ASSERT_EQ(second_cores.size(), 128u);
    // See make_many_cores.py: core i is busy (i * 7) % 1001 of 1000 jiffies; guest is not counted twice.
    std::uint64_t busy_sum = 0;
    for (int i = 0; i < 128; ++i) {
        const std::uint64_t busy = static_cast<std::uint64_t>(i * 7 % 1001);
        busy_sum += busy;
        EXPECT_EQ(second_cores[i].cpu, i);
        EXPECT_EQ(second_cores[i].times.total - first_cores[i].times.total, 1000u) << "core " << i;
        EXPECT_NEAR(cpu_percent(first_cores[i].times, second_cores[i].times), busy / 10.0, 1e-9) << "core " << i;
    }
    EXPECT_NEAR(cpu_percent(first, second), 100.0 * static_cast<double>(busy_sum) / 128000.0, 1e-9);
}

TEST(ProcStat, RejectsTextWithoutTheAggregateLine) {
    CpuTimes total;
    std::vector<CoreTimes> cores;
    EXPECT_FALSE(parse_proc_stat("cpu0 1 2 3 4\nintr 5\n", total, cores));
    EXPECT_FALSE(parse_proc_stat("cpu  1 2\n", total, cores));  // fewer than four fields
    EXPECT_FALSE(parse_proc_stat("", total, cores));
}

TEST(ProcStat, CountersGoingBackwardsDoNotWrap) {
    const CpuTimes previous{.busy = 100, .total = 1000};
    EXPECT_EQ(cpu_percent(previous, CpuTimes{.busy = 90, .total = 1100}), 0.0);
    EXPECT_EQ(cpu_percent(previous, previous), 0.0);
    EXPECT_EQ(cpu_percent(previous, CpuTimes{.busy = 200, .total = 1100}), 100.0);
}

TEST(ProcLoadavg, ParsesRecordedFiles) {
    std::array<double, 3> load{};
    ASSERT_TRUE(parse_loadavg(read_text(fixtures() / "two_cores" / "loadavg"), load));
    EXPECT_DOUBLE_EQ(load[0], 3.11);
    EXPECT_DOUBLE_EQ(load[1], 1.06);
    EXPECT_DOUBLE_EQ(load[2], 0.42);
    ASSERT_TRUE(parse_loadavg(read_text(fixtures() / "many_cores" / "loadavg"), load));
    EXPECT_DOUBLE_EQ(load[2], 58.75);
    EXPECT_FALSE(parse_loadavg("1.0 x", load));
}

TEST(ProcMeminfo, ParsesRecordedFiles) {
    MemoryInfo info;
    ASSERT_TRUE(parse_meminfo(read_text(fixtures() / "two_cores" / "meminfo"), info));
    EXPECT_EQ(info.total_bytes, 24684092ull * 1024);
    EXPECT_EQ(info.available_bytes, 23119308ull * 1024);
    EXPECT_EQ(info.swap_total_bytes, 0u);
    ASSERT_TRUE(parse_meminfo(read_text(fixtures() / "many_cores" / "meminfo"), info));
    EXPECT_EQ(info.total_bytes, 528280576ull * 1024);
    EXPECT_EQ(info.available_bytes, 410123264ull * 1024);
    EXPECT_EQ(info.swap_total_bytes, 8388604ull * 1024);
    EXPECT_EQ(info.swap_free_bytes, 6291452ull * 1024);
}

TEST(ProcMeminfo, EstimatesAvailableOnOldKernels) {
    MemoryInfo info;
    ASSERT_TRUE(parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n", info));
    EXPECT_EQ(info.available_bytes, 420u * 1024);
    EXPECT_FALSE(parse_meminfo("MemFree: 100 kB\n", info));
}

TEST(ProcStatus, UidAndCommand) {
    EXPECT_EQ(parse_status_uid(read_text(fixtures() / "many_cores" / "4242" / "status")), 0u);
    EXPECT_EQ(parse_status_uid(read_text(fixtures() / "many_cores" / "4243" / "status")), 3999999u);
    EXPECT_EQ(parse_status_uid("Name:\tx\n"), std::nullopt);
    EXPECT_EQ(format_cmdline(read_text(fixtures() / "many_cores" / "4242" / "cmdline")), "python train.py --lr 0.1");
    EXPECT_EQ(format_cmdline(std::string_view("a\0b\0\0", 5)), "a b");
    EXPECT_EQ(format_cmdline(""), "");
}

TEST(ProcStatus, UserNames) {
    EXPECT_EQ(user_name(0), "root");
    EXPECT_EQ(user_name(3999999), "3999999");  // no passwd entry: the number
}

TEST(ProcFile, ReadsRepeatedlyAndStopsAfterTheCpuLines) {
    ProcFile file(fixtures() / "many_cores" / "stat");
    for (int round = 0; round < 2; ++round) {
        const auto text = file.read("cpu");
        ASSERT_TRUE(text.has_value());
        EXPECT_EQ(text->substr(0, 5), "cpu  ");
        EXPECT_NE(text->find("\ncpu127 "), std::string_view::npos);  // past the first 4 KiB read
        EXPECT_NE(text->find("\nintr "), std::string_view::npos);
    }
    ProcFile again(fixtures() / "many_cores" / "stat");  // the view lives as long as the file object
    const auto whole = again.read();
    ASSERT_TRUE(whole.has_value());
    EXPECT_EQ(*whole, read_text(fixtures() / "many_cores" / "stat"));
}

TEST(ProcFile, MissingFileIsNotAnError) {
    ProcFile file(fixtures() / "no-such-machine" / "stat");
    EXPECT_FALSE(file.read().has_value());
    std::string buffer = "old";
    EXPECT_FALSE(core::read_pseudo_file(fixtures() / "no-such-file", buffer));
}

TEST(ProcessInfoCache, LooksUpAndForgetsPids) {
    ProcessInfoCache cache(fixtures() / "many_cores");
    cache.begin_round();
    const auto& root = cache.lookup(4242);
    EXPECT_EQ(root.user, "root");
    EXPECT_EQ(root.command, "python train.py --lr 0.1");
    const auto& nameless = cache.lookup(4243);
    EXPECT_EQ(nameless.user, "3999999");
    EXPECT_EQ(nameless.command, "/usr/bin/python3 eval.py");
    const auto& gone = cache.lookup(999999);  // not in this proc root (another pid namespace, exited)
    EXPECT_FALSE(gone.user.has_value());
    EXPECT_FALSE(gone.command.has_value());
    cache.end_round();
    EXPECT_EQ(cache.size(), 3u);
    cache.begin_round();
    cache.lookup(4242);
    cache.end_round();
    EXPECT_EQ(cache.size(), 1u);  // pids not seen in a round are dropped
}

}  // namespace
}  // namespace ailab::sys
