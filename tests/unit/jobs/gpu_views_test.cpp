// GPU views from real samples: the system sampler reads the fake NVML (tests/unit/system/
// fake_nvml.cpp, scenario "two_gpus": GPU 0 uses 10 GiB and runs process 4242 with 8 GiB, GPU 1
// uses 1 GiB and runs nothing), and a fake /proc folder says which session process 4242 is in.

#include "jobs/gpu_views.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "../system/support.hpp"
#include "system/gpu.hpp"

namespace ailab::jobs {
namespace {

using sys::testing::FakeNvml;
using sys::testing::TempDir;

constexpr std::uint64_t gib = std::uint64_t{1} << 30;

void write_file(const std::filesystem::path& path, std::string_view text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// A /proc folder holding process 4242 (of root) in session 4200, unless `with_process` is off.
class FakeProc {
public:
    explicit FakeProc(bool with_process = true) {
        if (!with_process) return;
        write_file(path() / "4242" / "stat", "4242 (python) S 1 4242 4200 0 -1 4194560 100 0 0 0 5 1 0 0 20 0 1 0\n");
        write_file(path() / "4242" / "status", "Name:\tpython\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
        write_file(path() / "4242" / "cmdline", std::string("python\0train.py\0", 16));
    }
    const std::filesystem::path& path() const { return folder_.path(); }

private:
    TempDir folder_;
};

std::vector<sys::GpuSample> sample_two_gpus(const FakeProc& proc) {
    FakeNvml::instance().set_scenario("two_gpus");
    sys::GpuSampler sampler({AILAB_FAKE_NVML, {}, proc.path()});
    EXPECT_EQ(sampler.status(), sys::GpuStatus::ok) << sampler.detail();
    std::vector<sys::GpuSample> gpus;
    sampler.sample(gpus);
    EXPECT_EQ(gpus.size(), 2u);
    return gpus;
}

GpuViewInputs inputs_for(const std::vector<sys::GpuSample>& gpus, const FakeProc& proc) {
    GpuViewInputs inputs;
    inputs.configured = {0, 1};
    inputs.sampled = &gpus;
    inputs.sampled_at = 1000.0;
    inputs.proc_root = proc.path();
    return inputs;
}

// Bad input: a process of someone else on GPU 0. It must make GPU 0 unusable and be named with its
// pid and user; GPU 1 (no process, memory under the threshold) stays free.
TEST(GpuViews, ForeignProcessMakesAGpuBusy) {
    FakeProc proc;
    const auto gpus = sample_two_gpus(proc);
    auto inputs = inputs_for(gpus, proc);
    inputs.busy_memory_bytes = 2 * gib;
    const auto views = make_gpu_views(inputs);
    ASSERT_EQ(views.size(), 2u);
    EXPECT_EQ(views[0].id, 0);
    EXPECT_TRUE(views[0].foreign_process);
    EXPECT_EQ(views[0].foreign_text, "foreign process 4242 of root");
    EXPECT_TRUE(views[0].memory_busy);
    EXPECT_FALSE(views[1].foreign_process);
    EXPECT_FALSE(views[1].memory_busy);

    // What the scheduler makes of it: a 1-GPU job gets GPU 1, a 2-GPU job says why it waits.
    Job small;
    small.id = 1;
    small.gpus_requested = 1;
    Job big;
    big.id = 2;
    big.gpus_requested = 2;
    SchedulerInput input;
    input.gpus = views;
    input.queued = {&big};
    const Decision waits = schedule(input);
    ASSERT_EQ(waits.waits.size(), 1u);
    EXPECT_EQ(waits.waits[0].reason, "waits for 2 GPUs; free: GPU 1 (GPU 0: foreign process 4242 of root)");
    input.queued = {&small};
    const Decision starts = schedule(input);
    ASSERT_EQ(starts.starts.size(), 1u);
    EXPECT_EQ(starts.starts[0].gpus, (std::vector<int>{1}));
}

// Bad input: the same process, but in the session of a running job's command: it is ours, not
// foreign, and the GPU is held by that job, so its memory does not count either.
TEST(GpuViews, OwnJobsProcessIsNotForeign) {
    FakeProc proc;
    const auto gpus = sample_two_gpus(proc);
    auto inputs = inputs_for(gpus, proc);
    inputs.job_sessions = {4200};
    inputs.held = {{0, 5}};
    const auto views = make_gpu_views(inputs);
    EXPECT_EQ(views[0].held_by, std::optional<JobId>(5));
    EXPECT_FALSE(views[0].foreign_process);
    EXPECT_FALSE(views[0].memory_busy);
}

// Bad input: our job's process on a GPU we do not hold (10 GiB used, 8 GiB of them ours). Only the
// other 2 GiB count against the threshold.
TEST(GpuViews, OwnProcessesMemoryIsNotCountedAsBusy) {
    FakeProc proc;
    const auto gpus = sample_two_gpus(proc);
    auto inputs = inputs_for(gpus, proc);
    inputs.job_sessions = {4200};
    inputs.busy_memory_bytes = 3 * gib;
    EXPECT_FALSE(make_gpu_views(inputs)[0].memory_busy);
    inputs.busy_memory_bytes = 2 * gib;
    EXPECT_TRUE(make_gpu_views(inputs)[0].memory_busy);
}

// Bad input: the process NVML reported has exited since the sample; it must be ignored (memory
// still counts).
TEST(GpuViews, AProcessThatIsGoneIsIgnored) {
    FakeProc proc(false);
    const auto gpus = sample_two_gpus(proc);
    auto inputs = inputs_for(gpus, proc);
    const auto views = make_gpu_views(inputs);
    EXPECT_FALSE(views[0].foreign_process);
    EXPECT_TRUE(views[0].foreign_text.empty());
    EXPECT_TRUE(views[0].memory_busy);
}

// Bad input: GPU 1 uses exactly the threshold (1 GiB of the default 1024 MiB). It is busy, unless AI
// Lab released it after the sample was taken (the memory may be the ended job's).
TEST(GpuViews, MemoryRuleAndTheReleasedAfterSampleRule) {
    FakeProc proc;
    const auto gpus = sample_two_gpus(proc);
    auto inputs = inputs_for(gpus, proc);
    EXPECT_TRUE(make_gpu_views(inputs)[1].memory_busy);
    inputs.released_at = {{1, inputs.sampled_at + 0.5}};
    EXPECT_FALSE(make_gpu_views(inputs)[1].memory_busy);
    inputs.released_at = {{1, inputs.sampled_at - 5}};  // released before: the sample saw it free
    EXPECT_TRUE(make_gpu_views(inputs)[1].memory_busy);
    inputs.released_at = {{0, inputs.sampled_at + 0.5}};  // another GPU's release changes nothing
    EXPECT_TRUE(make_gpu_views(inputs)[1].memory_busy);
}

// Bad input: no NVML at all, and a configured GPU that NVML does not report. Bookkeeping decides:
// only AI Lab's own holds count.
TEST(GpuViews, WithoutASampleOnlyBookkeepingCounts) {
    GpuViewInputs inputs;
    inputs.configured = {0, 1, 2};
    inputs.held = {{2, 9}};
    auto views = make_gpu_views(inputs);
    ASSERT_EQ(views.size(), 3u);
    for (const auto& view : views) {
        EXPECT_FALSE(view.foreign_process);
        EXPECT_FALSE(view.memory_busy);
    }
    EXPECT_EQ(views[2].held_by, std::optional<JobId>(9));
    EXPECT_FALSE(views[0].held_by.has_value());

    FakeProc proc;
    const auto gpus = sample_two_gpus(proc);
    auto sampled = inputs_for(gpus, proc);
    sampled.configured = {1, 7};
    views = make_gpu_views(sampled);
    ASSERT_EQ(views.size(), 2u);
    EXPECT_EQ(views[0].id, 1);
    EXPECT_EQ(views[1].id, 7);
    EXPECT_FALSE(views[1].memory_busy);
    EXPECT_FALSE(views[1].foreign_process);
}

// Bad input: a command name with spaces and parentheses, a missing process, a truncated stat line.
TEST(GpuViews, SessionOf) {
    EXPECT_EQ(session_of(::getpid()), std::optional<pid_t>(::getsid(0)));
    TempDir proc;
    write_file(proc.path() / "77" / "stat", "77 (a) b) (c) S 1 77 99 0 -1 0\n");
    EXPECT_EQ(session_of(77, proc.path()), std::optional<pid_t>(99));
    write_file(proc.path() / "78" / "stat", "78 (short) S 1\n");
    EXPECT_EQ(session_of(78, proc.path()), std::nullopt);
    write_file(proc.path() / "79" / "stat", "79 (x) S 1 79 nine 0\n");
    EXPECT_EQ(session_of(79, proc.path()), std::nullopt);
    EXPECT_EQ(session_of(80, proc.path()), std::nullopt);
    EXPECT_EQ(session_of(0, proc.path()), std::nullopt);
}

}  // namespace
}  // namespace ailab::jobs
