#pragma once
// GPU sampling through NVML, loaded at run time with dlopen and never linked. The library is
// opened and nvmlInit_v2 called once, in the constructor; nvmlShutdown and dlclose run in the
// destructor. Devices are enumerated once and ordered by PCI bus id, so index i here is the GPU that
// CUDA calls i under CUDA_DEVICE_ORDER=PCI_BUS_ID (and in CUDA_VISIBLE_DEVICES).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "system/nvml_api.hpp"
#include "system/proc.hpp"
#include "system/sample.hpp"

namespace ailab::sys {

// The dlopen handle; dlclose on destruction.
struct LibraryCloser {
    void operator()(void* handle) const;
};
using LibraryHandle = std::unique_ptr<void, LibraryCloser>;

// The soname the server loads; tests and the probe pass a path to another file instead.
inline constexpr const char* default_nvml_library = "libnvidia-ml.so.1";

struct GpuSamplerOptions {
    std::string library = default_nvml_library;  // soname (searched as dlopen does) or a path
    std::vector<int> selected_ids;               // CUDA-style ids to report; empty = every GPU
    std::filesystem::path proc_root = "/proc";   // for the user and command of GPU processes
};

// Not thread-safe: one owner thread calls sample().
class GpuSampler {
public:
    explicit GpuSampler(GpuSamplerOptions options);
    ~GpuSampler();
    GpuSampler(const GpuSampler&) = delete;
    GpuSampler& operator=(const GpuSampler&) = delete;

    GpuStatus status() const { return status_; }
    // "ok", "no library", "no devices", or "error: <detail>".
    std::string status_text() const;
    // "ok", "no library", "no devices" or "error: <what failed>", as GET /system reports it.
    // Why the status is what it is, for one log line ("" when ok): dlerror() text, the NVML error.
    const std::string& detail() const { return detail_; }
    // Every GPU NVML reports, before the `selected_ids` filter.
    std::size_t device_count() const { return devices_.size(); }
    // Bytes per process entry that nvmlDeviceGetComputeRunningProcesses_* writes; 0 until measured.
    unsigned int process_entry_bytes() const { return process_entry_bytes_; }

    // Fills `gpus` with the selected GPUs in id order, reusing its storage. Leaves it empty unless
    // status() is ok. A GPU that fails keeps its id and shows the failure in `error`.
    void sample(std::vector<GpuSample>& gpus);

private:
    struct Functions;
    struct Device {
        int id = 0;                     // position in PCI bus id order
        nvml::Device handle = nullptr;  // nullptr for a selected id that does not exist
        std::string pci_bus_id;
        std::string name;
        std::string uuid;
        std::string enumeration_error;  // why NVML gave no handle for it, "" when it did
    };

    void load();
    void sample_device(Device& device, GpuSample& gpu);
    void sample_processes(Device& device, GpuSample& gpu);
    void measure_process_entry_bytes(nvml::Device handle, unsigned int count);
    std::string error_text(nvml::Return code) const;

    GpuSamplerOptions options_;
    LibraryHandle library_;
    std::unique_ptr<Functions> functions_;
    bool initialised_ = false;  // nvmlInit_v2 succeeded, so nvmlShutdown is owed
    GpuStatus status_ = GpuStatus::no_library;
    std::string detail_;
    std::vector<Device> devices_;   // every GPU, PCI bus id order
    std::vector<Device> selected_;  // what sample() reports
    bool memory_v2_works_ = true;
    unsigned int process_capacity_ = 16;
    unsigned int process_entry_bytes_ = 0;
    int process_measure_attempts_ = 0;           // after 3 inconclusive tries the documented layout is kept
    std::vector<unsigned char> process_buffer_;  // process_capacity_ * largest_process_info_bytes
    std::vector<unsigned char> probe_buffer_;
    ProcessInfoCache process_info_;
};

// Splits "00000000:41:00.0" into (domain, bus, device, function) for ordering; false when malformed.
bool parse_pci_bus_id(std::string_view bus_id, std::uint64_t (&parts)[4]);

}  // namespace ailab::sys
