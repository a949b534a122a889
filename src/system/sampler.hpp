#pragma once
// One sampler for the whole machine: CPU, load, memory and swap from /proc, disks through statvfs,
// GPUs through NVML (gpu.hpp). Plain C++ and libc only, so the stand-alone GPU probe builds it too.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "system/gpu.hpp"
#include "system/proc.hpp"
#include "system/sample.hpp"

namespace ailab::sys {

struct DiskTarget {
    std::string role;  // "results", "workspace", "queue"
    std::filesystem::path path;
};

enum class GpuMonitoring { enabled, disabled };

struct SamplerOptions {
    std::filesystem::path proc_root = "/proc";
    std::string nvml_library = default_nvml_library;
    std::vector<int> gpus;  // CUDA-style ids; empty = every GPU
    std::vector<DiskTarget> disks;
    GpuMonitoring gpu_monitoring = GpuMonitoring::enabled;
};

// Not thread-safe: one thread at a time calls the sample functions (the service serialises them).
// Constructing it loads NVML and calls nvmlInit_v2; destroying it calls nvmlShutdown.
class Sampler {
public:
    explicit Sampler(SamplerOptions options);

    // Takes a full sample into `out`, reusing its storage. CPU percentages cover the time since the
    // previous call (since construction for the first one).
    void sample(SystemSample& out);

    // The parts of sample(), for the benchmarks and the GPU probe.
    void sample_host(SystemSample& out);  // time, CPU, load, memory, disks
    void sample_gpus(SystemSample& out);  // gpus and gpu_status

    // nullptr when GPU monitoring is disabled.
    const GpuSampler* gpu() const { return gpu_.get(); }
    // False when /proc/stat or /proc/meminfo could not be read or parsed in the last sample.
    bool host_ok() const { return host_ok_; }

private:
    void read_cpu(CpuSample& cpu);

    SamplerOptions options_;
    ProcFile stat_file_;
    ProcFile loadavg_file_;
    ProcFile meminfo_file_;
    CpuTimes previous_total_;
    std::vector<CoreTimes> previous_cores_;
    CpuTimes current_total_;
    std::vector<CoreTimes> current_cores_;
    bool host_ok_ = true;
    std::unique_ptr<GpuSampler> gpu_;
};

}  // namespace ailab::sys
