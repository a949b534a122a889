// The whole-machine sampler on a fake proc root: CPU deltas, memory, disks, GPUs switched off.

#include <gtest/gtest.h>

#include "support.hpp"
#include "system/sampler.hpp"

namespace ailab::sys {
namespace {

using testing::ProcRoot;
using testing::TempDir;

SamplerOptions host_only(const std::filesystem::path& proc_root) {
    SamplerOptions options;
    options.proc_root = proc_root;
    options.gpu_monitoring = GpuMonitoring::disabled;
    return options;
}

TEST(Sampler, CpuPercentagesAreDeltasBetweenSamples) {
    ProcRoot root("many_cores");
    Sampler sampler(host_only(root.path()));  // reads stat as the baseline
    root.advance();                           // stat.next: every core 1000 jiffies later
    SystemSample sample;
    sampler.sample(sample);
    EXPECT_TRUE(sampler.host_ok());
    ASSERT_EQ(sample.cpu.cores_percent.size(), 128u);
    for (int i = 0; i < 128; ++i) EXPECT_NEAR(sample.cpu.cores_percent[i], (i * 7 % 1001) / 10.0, 1e-9) << "core " << i;
    EXPECT_GT(sample.cpu.percent, 0.0);
    EXPECT_LT(sample.cpu.percent, 100.0);

    // Nothing changed since: every percentage drops to 0.
    sampler.sample(sample);
    EXPECT_EQ(sample.cpu.percent, 0.0);
    EXPECT_EQ(sample.cpu.cores_percent[127], 0.0);
}

TEST(Sampler, LoadMemoryAndSwap) {
    ProcRoot root("many_cores");
    Sampler sampler(host_only(root.path()));
    SystemSample sample;
    sampler.sample(sample);
    EXPECT_DOUBLE_EQ(sample.cpu.load[0], 64.25);
    EXPECT_EQ(sample.memory.total_bytes, 528280576ull * 1024);
    EXPECT_EQ(sample.memory.available_bytes, 410123264ull * 1024);
    EXPECT_EQ(sample.memory.used_bytes, (528280576ull - 410123264ull) * 1024);
    EXPECT_NEAR(sample.memory.percent, 100.0 * (528280576.0 - 410123264.0) / 528280576.0, 1e-9);
    EXPECT_EQ(sample.memory.swap_total_bytes, 8388604ull * 1024);
    EXPECT_EQ(sample.memory.swap_used_bytes, (8388604ull - 6291452ull) * 1024);
    EXPECT_GT(sample.time, 1.7e9);
    EXPECT_EQ(sample.gpu_status, GpuStatus::disabled);
    EXPECT_TRUE(sample.gpus.empty());
}

TEST(Sampler, DisksKeepEveryRoleAndShowMissingFoldersAsUnknown) {
    ProcRoot root("two_cores");
    TempDir folder;
    SamplerOptions options = host_only(root.path());
    options.disks = {{"results", folder.path()}, {"workspace", folder.path()}, {"queue", folder.path() / "missing"}};
    Sampler sampler(options);
    SystemSample sample;
    sampler.sample(sample);
    ASSERT_EQ(sample.disks.size(), 3u);
    EXPECT_EQ(sample.disks[0].role, "results");
    EXPECT_EQ(sample.disks[1].role, "workspace");
    EXPECT_EQ(sample.disks[0].path, folder.path().string());
    ASSERT_TRUE(sample.disks[0].total_bytes.has_value());
    ASSERT_TRUE(sample.disks[0].free_bytes.has_value());
    EXPECT_GT(*sample.disks[0].total_bytes, 0u);
    EXPECT_LE(*sample.disks[0].free_bytes, *sample.disks[0].total_bytes);
    EXPECT_EQ(sample.disks[0].total_bytes, sample.disks[1].total_bytes);  // same filesystem
    EXPECT_EQ(sample.disks[2].role, "queue");
    EXPECT_FALSE(sample.disks[2].total_bytes.has_value());
    EXPECT_FALSE(sample.disks[2].free_bytes.has_value());
}

TEST(Sampler, MissingProcFilesAreReportedNotFatal) {
    TempDir empty;
    Sampler sampler(host_only(empty.path()));
    SystemSample sample;
    sampler.sample(sample);
    EXPECT_FALSE(sampler.host_ok());
    EXPECT_EQ(sample.memory.total_bytes, 0u);
    EXPECT_TRUE(sample.cpu.cores_percent.empty());
}

TEST(Sampler, ReadsTheRealProc) {
    Sampler sampler(host_only("/proc"));
    SystemSample sample;
    sampler.sample(sample);
    EXPECT_TRUE(sampler.host_ok());
    EXPECT_GE(sample.cpu.cores_percent.size(), 1u);
    EXPECT_GT(sample.memory.total_bytes, 0u);
    EXPECT_GE(sample.memory.percent, 0.0);
    EXPECT_LE(sample.memory.percent, 100.0);
}

}  // namespace
}  // namespace ailab::sys
