// GPU sampling through the fake libnvidia-ml.so.1 (fake_nvml.cpp), loaded by path through the same
// dlopen/dlsym code the server runs with the soname.

#include <gtest/gtest.h>

#include "support.hpp"
#include "system/gpu.hpp"
#include "system/sampler.hpp"

namespace ailab::sys {
namespace {

using testing::fake_nvml_path;
using testing::FakeNvml;
using testing::fixtures;

constexpr std::uint64_t gib = 1024ull * 1024 * 1024;

class Nvml : public ::testing::Test {
protected:
    void TearDown() override { FakeNvml::instance().set_scenario(""); }

    static GpuSamplerOptions options(std::vector<int> ids = {}) {
        return GpuSamplerOptions{
            .library = fake_nvml_path(), .selected_ids = std::move(ids), .proc_root = fixtures() / "many_cores"};
    }
};

TEST_F(Nvml, OrdersGpusByPciBusIdAsCudaDoes) {
    FakeNvml::instance().set_scenario("two_gpus");
    GpuSampler sampler(options());
    ASSERT_EQ(sampler.status(), GpuStatus::ok) << sampler.detail();
    EXPECT_EQ(sampler.status_text(), "ok");
    EXPECT_EQ(sampler.device_count(), 2u);
    std::vector<GpuSample> gpus;
    sampler.sample(gpus);
    ASSERT_EQ(gpus.size(), 2u);
    // NVML index 1 sits on bus 41, index 0 on bus C1: CUDA's GPU 0 is NVML's index 1.
    EXPECT_EQ(gpus[0].id, 0);
    EXPECT_EQ(gpus[0].pci_bus_id, "00000000:41:00.0");
    EXPECT_EQ(gpus[0].name, "Fake GPU A");
    EXPECT_EQ(gpus[0].uuid, "GPU-fake-a");
    EXPECT_EQ(gpus[1].id, 1);
    EXPECT_EQ(gpus[1].pci_bus_id, "00000000:C1:00.0");
    EXPECT_EQ(gpus[1].uuid, "GPU-fake-b");
}

TEST_F(Nvml, ReportsEveryFieldInApiUnits) {
    FakeNvml::instance().set_scenario("two_gpus");
    GpuSampler sampler(options());
    std::vector<GpuSample> gpus;
    sampler.sample(gpus);
    ASSERT_EQ(gpus.size(), 2u);
    const GpuSample& a = gpus[0];
    EXPECT_EQ(a.utilization, 35.0);
    EXPECT_EQ(a.memory_used_bytes, 10 * gib);  // v2: reserved memory not counted, as nvidia-smi shows it
    EXPECT_EQ(a.memory_total_bytes, 80 * gib);
    EXPECT_EQ(a.temperature_c, 40);
    EXPECT_EQ(a.power_w, 120.5);  // mW -> W
    EXPECT_EQ(a.power_limit_w, 700.0);
    EXPECT_EQ(a.error, "");
    ASSERT_EQ(a.processes.size(), 1u);
    EXPECT_EQ(a.processes[0].pid, 4242u);
    EXPECT_EQ(a.processes[0].memory_bytes, 8 * gib);
    EXPECT_EQ(a.processes[0].user, "root");  // from <proc_root>/4242/status Uid 0
    EXPECT_EQ(a.processes[0].command, "python train.py --lr 0.1");
    EXPECT_EQ(sampler.process_entry_bytes(), 24u);

    // A field the GPU does not support is null, with no error.
    const GpuSample& b = gpus[1];
    EXPECT_FALSE(b.power_w.has_value());
    EXPECT_EQ(b.power_limit_w, 300.0);
    EXPECT_EQ(b.temperature_c, 50);
    EXPECT_EQ(b.error, "");
    EXPECT_TRUE(b.processes.empty());
}

TEST_F(Nvml, FiltersByConfiguredIdsAndFlagsUnknownOnes) {
    FakeNvml::instance().set_scenario("two_gpus");
    GpuSampler sampler(options({1, 5, 1}));
    std::vector<GpuSample> gpus;
    sampler.sample(gpus);
    ASSERT_EQ(gpus.size(), 2u);
    EXPECT_EQ(gpus[0].id, 1);
    EXPECT_EQ(gpus[0].uuid, "GPU-fake-b");
    EXPECT_EQ(gpus[0].error, "");
    EXPECT_EQ(gpus[1].id, 5);
    EXPECT_EQ(gpus[1].error, "no GPU with id 5 (2 found)");
    EXPECT_FALSE(gpus[1].utilization.has_value());
}

TEST_F(Nvml, ALostGpuShowsTheErrorAndTheOtherKeepsReporting) {
    FakeNvml::instance().set_scenario("one_lost");
    GpuSampler sampler(options());
    ASSERT_EQ(sampler.status(), GpuStatus::ok);
    std::vector<GpuSample> gpus;
    sampler.sample(gpus);
    ASSERT_EQ(gpus.size(), 2u);
    EXPECT_EQ(gpus[0].error, "");
    EXPECT_EQ(gpus[0].utilization, 35.0);
    EXPECT_EQ(gpus[0].processes.size(), 1u);
    EXPECT_EQ(gpus[1].error, "GPU is lost");
    EXPECT_EQ(gpus[1].name, "Fake GPU B");  // read before it was lost
    EXPECT_FALSE(gpus[1].utilization.has_value());
    EXPECT_FALSE(gpus[1].memory_used_bytes.has_value());
    EXPECT_FALSE(gpus[1].power_limit_w.has_value());
}

TEST_F(Nvml, AGpuLostWhileRunningRecoversNothingButBreaksNothing) {
    FakeNvml::instance().set_scenario("two_gpus");
    GpuSampler sampler(options());
    std::vector<GpuSample> gpus;
    sampler.sample(gpus);
    ASSERT_EQ(gpus[0].error, "");
    FakeNvml::instance().lose_gpu(1);  // NVML index 1 = CUDA GPU 0
    sampler.sample(gpus);
    EXPECT_EQ(gpus[0].error, "GPU is lost");
    EXPECT_FALSE(gpus[0].utilization.has_value());
    EXPECT_TRUE(gpus[0].processes.empty());
    EXPECT_EQ(gpus[1].error, "");
    EXPECT_EQ(gpus[1].temperature_c, 50);
}

TEST_F(Nvml, AGpuWithoutAHandleSortsLastAndSaysWhy) {
    FakeNvml::instance().set_scenario("no_handle");
    GpuSampler sampler(options());
    ASSERT_EQ(sampler.status(), GpuStatus::ok);
    std::vector<GpuSample> gpus;
    sampler.sample(gpus);
    ASSERT_EQ(gpus.size(), 2u);
    EXPECT_EQ(gpus[0].uuid, "GPU-fake-a");
    EXPECT_EQ(gpus[0].error, "");
    EXPECT_EQ(gpus[1].error, "nvmlDeviceGetHandleByIndex_v2(0): GPU is lost");
    EXPECT_EQ(gpus[1].pci_bus_id, "");
}

TEST_F(Nvml, OtherFieldErrorsAreNamedAndTheRestKept) {
    FakeNvml::instance().set_scenario("no_permission");
    GpuSampler sampler(options({0}));
    std::vector<GpuSample> gpus;
    sampler.sample(gpus);
    ASSERT_EQ(gpus.size(), 1u);
    EXPECT_EQ(gpus[0].error, "temperature: Insufficient Permissions");
    EXPECT_FALSE(gpus[0].temperature_c.has_value());
    EXPECT_EQ(gpus[0].power_w, 120.5);
    EXPECT_EQ(gpus[0].processes.size(), 1u);
}

TEST_F(Nvml, FallsBackToMemoryInfoV1) {
    FakeNvml::instance().set_scenario("no_memory_v2");
    GpuSampler sampler(options({0}));
    std::vector<GpuSample> gpus;
    sampler.sample(gpus);
    sampler.sample(gpus);
    ASSERT_EQ(gpus.size(), 1u);
    EXPECT_EQ(gpus[0].error, "");
    EXPECT_EQ(gpus[0].memory_used_bytes, 10 * gib + 512ull * 1024 * 1024);  // v1 counts reserved memory
    EXPECT_EQ(gpus[0].memory_total_bytes, 80 * gib);
}

TEST_F(Nvml, GrowsTheProcessBufferWhenNvmlAsks) {
    FakeNvml::instance().set_scenario("many_processes");
    GpuSampler sampler(options({0}));
    std::vector<GpuSample> gpus;
    sampler.sample(gpus);
    ASSERT_EQ(gpus.size(), 1u);
    ASSERT_EQ(gpus[0].processes.size(), 40u);
    EXPECT_EQ(gpus[0].processes[39].pid, 5039u);
    EXPECT_EQ(gpus[0].processes[39].memory_bytes, 39ull * 1024 * 1024);
    EXPECT_FALSE(gpus[0].processes[39].user.has_value());  // not in this proc root
}

TEST_F(Nvml, MeasuresTheProcessEntryLayoutTheDriverWrites) {
    FakeNvml::instance().set_scenario("wide_entries");  // 32-byte entries, as the R535 driver wrote
    GpuSampler sampler(options({0}));
    std::vector<GpuSample> gpus;
    sampler.sample(gpus);
    EXPECT_EQ(sampler.process_entry_bytes(), 32u);
    ASSERT_EQ(gpus.size(), 1u);
    ASSERT_EQ(gpus[0].processes.size(), 3u);
    EXPECT_EQ(gpus[0].processes[0].pid, 4242u);
    EXPECT_EQ(gpus[0].processes[1].pid, 4243u);
    EXPECT_FALSE(gpus[0].processes[1].memory_bytes.has_value());  // NVML_VALUE_NOT_AVAILABLE
    EXPECT_EQ(gpus[0].processes[1].user, "3999999");
    EXPECT_EQ(gpus[0].processes[1].command, "/usr/bin/python3 eval.py");
    EXPECT_EQ(gpus[0].processes[2].pid, 4244u);
    EXPECT_EQ(gpus[0].processes[2].memory_bytes, 2 * gib);
}

TEST_F(Nvml, NoDevices) {
    FakeNvml::instance().set_scenario("no_devices");
    GpuSampler sampler(options());
    EXPECT_EQ(sampler.status(), GpuStatus::no_devices);
    EXPECT_EQ(sampler.status_text(), "no devices");
    std::vector<GpuSample> gpus(3);
    sampler.sample(gpus);
    EXPECT_TRUE(gpus.empty());
}

TEST_F(Nvml, InitFailureIsAnErrorStatus) {
    FakeNvml::instance().set_scenario("init_fails");
    const int shutdowns = FakeNvml::instance().shutdown_count();
    {
        GpuSampler sampler(options());
        EXPECT_EQ(sampler.status(), GpuStatus::error);
        EXPECT_EQ(sampler.status_text(), "error: nvmlInit_v2: Driver Not Loaded");
    }
    EXPECT_EQ(FakeNvml::instance().shutdown_count(), shutdowns);  // no shutdown without an init
}

TEST_F(Nvml, InitialisedOnceAndShutDownOnce) {
    FakeNvml::instance().set_scenario("two_gpus");
    const int inits = FakeNvml::instance().init_count();
    const int shutdowns = FakeNvml::instance().shutdown_count();
    {
        GpuSampler sampler(options());
        std::vector<GpuSample> gpus;
        for (int i = 0; i < 5; ++i) sampler.sample(gpus);
        EXPECT_EQ(FakeNvml::instance().init_count(), inits + 1);
        EXPECT_EQ(FakeNvml::instance().shutdown_count(), shutdowns);
    }
    EXPECT_EQ(FakeNvml::instance().shutdown_count(), shutdowns + 1);
}

TEST_F(Nvml, MissingLibraryMeansNoLibrary) {
    GpuSampler sampler(GpuSamplerOptions{.library = "/nonexistent/libnvidia-ml.so.1"});
    EXPECT_EQ(sampler.status(), GpuStatus::no_library);
    EXPECT_EQ(sampler.status_text(), "no library");
    EXPECT_NE(sampler.detail().find("/nonexistent/libnvidia-ml.so.1"), std::string::npos);
    std::vector<GpuSample> gpus;
    sampler.sample(gpus);
    EXPECT_TRUE(gpus.empty());
}

TEST_F(Nvml, ALibraryWithoutNvmlSymbolsIsAnError) {
    GpuSampler sampler(GpuSamplerOptions{.library = "libm.so.6"});
    EXPECT_EQ(sampler.status(), GpuStatus::error);
    EXPECT_EQ(sampler.status_text(), "error: libm.so.6 has no nvmlInit_v2");
}

TEST_F(Nvml, TheWholeSamplerReportsGpuStatus) {
    FakeNvml::instance().set_scenario("two_gpus");
    SamplerOptions options;
    options.proc_root = fixtures() / "two_cores";
    options.nvml_library = fake_nvml_path();
    options.gpus = {0};
    Sampler sampler(options);
    SystemSample sample;
    sampler.sample(sample);
    EXPECT_EQ(sample.gpu_status, GpuStatus::ok);
    ASSERT_EQ(sample.gpus.size(), 1u);
    EXPECT_EQ(sample.gpus[0].uuid, "GPU-fake-a");

    SamplerOptions without = options;
    without.nvml_library = "/nonexistent/libnvidia-ml.so.1";
    Sampler no_library(without);
    no_library.sample(sample);
    EXPECT_EQ(sample.gpu_status, GpuStatus::no_library);
    EXPECT_TRUE(sample.gpus.empty());
}

TEST(PciBusId, Parses) {
    std::uint64_t parts[4] = {};
    ASSERT_TRUE(parse_pci_bus_id("00000001:C1:1f.3", parts));
    EXPECT_EQ(parts[0], 1u);
    EXPECT_EQ(parts[1], 0xC1u);
    EXPECT_EQ(parts[2], 0x1Fu);
    EXPECT_EQ(parts[3], 3u);
    EXPECT_FALSE(parse_pci_bus_id("0000:41:00", parts));
    EXPECT_FALSE(parse_pci_bus_id("", parts));
    EXPECT_FALSE(parse_pci_bus_id("0000:41:00.0x", parts));
}

}  // namespace
}  // namespace ailab::sys
