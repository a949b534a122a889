#include "system/sampler.hpp"

#include <sys/statvfs.h>

#include <chrono>
#include <utility>

namespace ailab::sys {

Sampler::Sampler(SamplerOptions options)
    : options_(std::move(options)),
      stat_file_(options_.proc_root / "stat"),
      loadavg_file_(options_.proc_root / "loadavg"),
      meminfo_file_(options_.proc_root / "meminfo") {
    // The baseline for the first sample's CPU percentages.
    if (const auto text = stat_file_.read("cpu")) parse_proc_stat(*text, previous_total_, previous_cores_);
    if (options_.gpu_monitoring == GpuMonitoring::enabled) {
        gpu_ = std::make_unique<GpuSampler>(GpuSamplerOptions{
            .library = options_.nvml_library, .selected_ids = options_.gpus, .proc_root = options_.proc_root});
    }
}

void Sampler::sample(SystemSample& out) {
    sample_host(out);
    sample_gpus(out);
}

void Sampler::read_cpu(CpuSample& cpu) {
    const auto text = stat_file_.read("cpu");
    if (!text || !parse_proc_stat(*text, current_total_, current_cores_)) {
        host_ok_ = false;
        cpu.percent = 0.0;
        cpu.cores_percent.clear();
        return;
    }
    cpu.percent = cpu_percent(previous_total_, current_total_);
    cpu.cores_percent.resize(current_cores_.size());
    for (std::size_t i = 0; i < current_cores_.size(); ++i) {
        const CoreTimes& core = current_cores_[i];
        // Cores keep their position unless one went on- or offline; then match by number.
        const CoreTimes* previous = nullptr;
        if (i < previous_cores_.size() && previous_cores_[i].cpu == core.cpu) {
            previous = &previous_cores_[i];
        } else {
            for (const CoreTimes& candidate : previous_cores_) {
                if (candidate.cpu == core.cpu) previous = &candidate;
            }
        }
        cpu.cores_percent[i] = previous != nullptr ? cpu_percent(previous->times, core.times) : 0.0;
    }
    std::swap(previous_total_, current_total_);
    std::swap(previous_cores_, current_cores_);
}

void Sampler::sample_host(SystemSample& out) {
    host_ok_ = true;
    out.time = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    read_cpu(out.cpu);

    if (const auto text = loadavg_file_.read(); !text || !parse_loadavg(*text, out.cpu.load)) out.cpu.load = {};

    MemoryInfo memory;
    if (const auto text = meminfo_file_.read(); text && parse_meminfo(*text, memory)) {
        out.memory.total_bytes = memory.total_bytes;
        out.memory.available_bytes = memory.available_bytes;
        out.memory.used_bytes = memory.total_bytes - memory.available_bytes;
        out.memory.percent = memory.total_bytes > 0 ? 100.0 * static_cast<double>(out.memory.used_bytes) /
                                                          static_cast<double>(memory.total_bytes)
                                                    : 0.0;
        out.memory.swap_total_bytes = memory.swap_total_bytes;
        out.memory.swap_used_bytes =
            memory.swap_total_bytes > memory.swap_free_bytes ? memory.swap_total_bytes - memory.swap_free_bytes : 0;
    } else {
        out.memory = MemorySample{};
        host_ok_ = false;
    }

    out.disks.resize(options_.disks.size());
    for (std::size_t i = 0; i < options_.disks.size(); ++i) {
        const DiskTarget& target = options_.disks[i];
        DiskSample& disk = out.disks[i];
        if (disk.role != target.role) disk.role = target.role;
        if (disk.path != target.path.native()) disk.path = target.path.native();
        struct statvfs info {};
        if (::statvfs(target.path.c_str(), &info) == 0) {
            disk.total_bytes = static_cast<std::uint64_t>(info.f_blocks) * info.f_frsize;
            disk.free_bytes = static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
        } else {
            disk.total_bytes.reset();
            disk.free_bytes.reset();
        }
    }
}

void Sampler::sample_gpus(SystemSample& out) {
    if (!gpu_) {
        out.gpus.clear();
        out.gpu_status = GpuStatus::disabled;
        out.gpu_status_detail.clear();
        return;
    }
    gpu_->sample(out.gpus);
    out.gpu_status = gpu_->status();
    if (gpu_->status() == GpuStatus::error) {
        if (out.gpu_status_detail != gpu_->detail()) out.gpu_status_detail = gpu_->detail();
    } else {
        out.gpu_status_detail.clear();
    }
}

}  // namespace ailab::sys
