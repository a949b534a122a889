#pragma once
// Plain structs for one system sample. The sampler fills them; routes, history, the WebSocket and
// /metrics convert them at the edge. No JSON here, and nothing beyond the standard library, so the
// sampler also builds into the stand-alone GPU probe (bench/system_gpu_probe.cpp).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ailab::sys {

struct CpuSample {
    double percent = 0.0;               // all cores, busy share of the last interval, 0..100
    std::vector<double> cores_percent;  // one entry per online cpuN line of /proc/stat, in file order
    std::array<double, 3> load{};       // 1, 5 and 15 minute load averages
};

struct MemorySample {
    std::uint64_t total_bytes = 0;
    std::uint64_t used_bytes = 0;  // total - available
    std::uint64_t available_bytes = 0;
    double percent = 0.0;  // used / total * 100
    std::uint64_t swap_total_bytes = 0;
    std::uint64_t swap_used_bytes = 0;  // swap total - swap free
};

struct DiskSample {
    std::string role;  // "results", "workspace" or "queue"
    std::string path;
    std::optional<std::uint64_t> total_bytes;  // nullopt when statvfs failed (folder missing, ...)
    std::optional<std::uint64_t> free_bytes;   // bytes available to unprivileged users, as df's "Avail"
};

struct GpuProcess {
    std::uint32_t pid = 0;
    std::optional<std::string> user;            // user name, or the numeric uid when it has no name
    std::optional<std::string> command;         // /proc/<pid>/cmdline with spaces between arguments
    std::optional<std::uint64_t> memory_bytes;  // nullopt when NVML cannot tell (NVML_VALUE_NOT_AVAILABLE)
};

// One GPU. A field NVML does not support (or failed to read) is nullopt; `error` says what failed
// ("" when nothing did). A lost GPU keeps id, bus id and what was read before it was lost.
struct GpuSample {
    int id = 0;                         // index as CUDA_VISIBLE_DEVICES counts it (PCI bus id order)
    std::string pci_bus_id;             // "00000000:41:00.0"; not part of the API, used by the GPU probe
    std::string name;                   // "" when unknown
    std::string uuid;                   // "" when unknown
    std::optional<double> utilization;  // percent, 0..100
    std::optional<std::uint64_t> memory_used_bytes;
    std::optional<std::uint64_t> memory_total_bytes;
    std::optional<int> temperature_c;
    std::optional<double> power_w;
    std::optional<double> power_limit_w;
    std::string error;
    std::vector<GpuProcess> processes;
};

// The state of GPU monitoring. It stays an enum inside the server and becomes text in JSON and
// Prometheus only (gpu_status_text).
enum class GpuStatus { ok, no_library, no_devices, error, disabled };

// "ok", "no library", "no devices", "error", "disabled".
std::string_view gpu_status_name(GpuStatus status);

struct SystemSample {
    double time = 0.0;  // Unix seconds when the sample was taken
    CpuSample cpu;
    MemorySample memory;
    std::vector<DiskSample> disks;
    std::vector<GpuSample> gpus;
    GpuStatus gpu_status = GpuStatus::no_library;
    std::string gpu_status_detail;  // what failed, when gpu_status is error
};

// The JSON form: the name, and for an error "error: <detail>".
std::string gpu_status_text(const SystemSample& sample);

}  // namespace ailab::sys
