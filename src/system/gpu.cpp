#include "system/gpu.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <tuple>
#include <utility>

namespace ailab::sys {

struct GpuSampler::Functions {
    // Required: without these the library is not usable.
    nvml::InitFunction init = nullptr;
    nvml::ShutdownFunction shutdown = nullptr;
    nvml::DeviceGetCountFunction get_count = nullptr;
    nvml::DeviceGetHandleByIndexFunction get_handle = nullptr;
    // Optional: a missing one leaves its field null.
    nvml::ErrorStringFunction error_string = nullptr;
    nvml::DeviceGetPciInfoFunction get_pci_info = nullptr;
    nvml::DeviceGetStringFunction get_name = nullptr;
    nvml::DeviceGetStringFunction get_uuid = nullptr;
    nvml::DeviceGetUtilizationRatesFunction get_utilization = nullptr;
    nvml::DeviceGetMemoryInfoV2Function get_memory_v2 = nullptr;
    nvml::DeviceGetMemoryInfoFunction get_memory = nullptr;
    nvml::DeviceGetTemperatureFunction get_temperature = nullptr;
    nvml::DeviceGetUnsignedFunction get_power_usage = nullptr;
    nvml::DeviceGetUnsignedFunction get_power_limit = nullptr;
    nvml::DeviceGetProcessesFunction get_processes = nullptr;
    unsigned int default_process_entry_bytes = 24;  // 16 for the unversioned (v1) function
};

namespace {

template <typename Function>
Function symbol(void* library, const char* name) {
    // POSIX guarantees that a data pointer from dlsym converts to a function pointer.
    return reinterpret_cast<Function>(::dlsym(library, name));
}

bool lost(nvml::Return code) { return code == nvml::error_gpu_is_lost || code == nvml::error_reset_required; }

void append_error(std::string& error, std::string_view field, const std::string& text) {
    if (!error.empty()) error += "; ";
    error += field;
    error += ": ";
    error += text;
}

}  // namespace

void LibraryCloser::operator()(void* handle) const {
    if (handle != nullptr) ::dlclose(handle);
}

bool parse_pci_bus_id(std::string_view bus_id, std::uint64_t (&parts)[4]) {
    // domain ':' bus ':' device '.' function, all hexadecimal.
    const char separators[3] = {':', ':', '.'};
    const char* position = bus_id.data();
    const char* end = bus_id.data() + bus_id.size();
    for (int i = 0; i < 4; ++i) {
        const auto [next, error] = std::from_chars(position, end, parts[i], 16);
        if (error != std::errc{}) return false;
        position = next;
        if (i < 3) {
            if (position == end || *position != separators[i]) return false;
            ++position;
        }
    }
    return position == end;
}

GpuSampler::GpuSampler(GpuSamplerOptions options)
    : options_(std::move(options)), functions_(std::make_unique<Functions>()), process_info_(options_.proc_root) {
    load();
}

GpuSampler::~GpuSampler() {
    // Handles die with the library: forget them before nvmlShutdown and dlclose.
    devices_.clear();
    selected_.clear();
    if (initialised_) functions_->shutdown();
    library_.reset();
}

std::string GpuSampler::error_text(nvml::Return code) const {
    if (functions_->error_string != nullptr) {
        if (const char* text = functions_->error_string(code)) return text;
    }
    return "NVML error " + std::to_string(code);
}

void GpuSampler::load() {
    library_.reset(::dlopen(options_.library.c_str(), RTLD_NOW | RTLD_LOCAL));
    if (!library_) {
        const char* error = ::dlerror();
        status_ = GpuStatus::no_library;
        detail_ = error != nullptr ? error : options_.library + ": cannot be loaded";
        return;
    }
    void* handle = library_.get();
    Functions& f = *functions_;
    f.init = symbol<nvml::InitFunction>(handle, "nvmlInit_v2");
    f.shutdown = symbol<nvml::ShutdownFunction>(handle, "nvmlShutdown");
    f.get_count = symbol<nvml::DeviceGetCountFunction>(handle, "nvmlDeviceGetCount_v2");
    f.get_handle = symbol<nvml::DeviceGetHandleByIndexFunction>(handle, "nvmlDeviceGetHandleByIndex_v2");
    for (const auto& [pointer, name] :
         {std::pair{reinterpret_cast<void*>(f.init), "nvmlInit_v2"},
          std::pair{reinterpret_cast<void*>(f.shutdown), "nvmlShutdown"},
          std::pair{reinterpret_cast<void*>(f.get_count), "nvmlDeviceGetCount_v2"},
          std::pair{reinterpret_cast<void*>(f.get_handle), "nvmlDeviceGetHandleByIndex_v2"}}) {
        if (pointer == nullptr) {
            status_ = GpuStatus::error;
            detail_ = options_.library + " has no " + name;
            library_.reset();
            return;
        }
    }
    f.error_string = symbol<nvml::ErrorStringFunction>(handle, "nvmlErrorString");
    f.get_pci_info = symbol<nvml::DeviceGetPciInfoFunction>(handle, "nvmlDeviceGetPciInfo_v3");
    if (f.get_pci_info == nullptr)
        f.get_pci_info = symbol<nvml::DeviceGetPciInfoFunction>(handle, "nvmlDeviceGetPciInfo_v2");
    f.get_name = symbol<nvml::DeviceGetStringFunction>(handle, "nvmlDeviceGetName");
    f.get_uuid = symbol<nvml::DeviceGetStringFunction>(handle, "nvmlDeviceGetUUID");
    f.get_utilization = symbol<nvml::DeviceGetUtilizationRatesFunction>(handle, "nvmlDeviceGetUtilizationRates");
    f.get_memory_v2 = symbol<nvml::DeviceGetMemoryInfoV2Function>(handle, "nvmlDeviceGetMemoryInfo_v2");
    f.get_memory = symbol<nvml::DeviceGetMemoryInfoFunction>(handle, "nvmlDeviceGetMemoryInfo");
    f.get_temperature = symbol<nvml::DeviceGetTemperatureFunction>(handle, "nvmlDeviceGetTemperature");
    f.get_power_usage = symbol<nvml::DeviceGetUnsignedFunction>(handle, "nvmlDeviceGetPowerUsage");
    f.get_power_limit = symbol<nvml::DeviceGetUnsignedFunction>(handle, "nvmlDeviceGetEnforcedPowerLimit");
    f.get_processes = symbol<nvml::DeviceGetProcessesFunction>(handle, "nvmlDeviceGetComputeRunningProcesses_v3");
    if (f.get_processes == nullptr) {
        f.get_processes = symbol<nvml::DeviceGetProcessesFunction>(handle, "nvmlDeviceGetComputeRunningProcesses_v2");
    }
    if (f.get_processes == nullptr) {
        f.get_processes = symbol<nvml::DeviceGetProcessesFunction>(handle, "nvmlDeviceGetComputeRunningProcesses");
        f.default_process_entry_bytes = 16;
    }

    if (const nvml::Return code = f.init(); code != nvml::success) {
        status_ = GpuStatus::error;
        detail_ = "nvmlInit_v2: " + error_text(code);
        library_.reset();
        return;
    }
    initialised_ = true;

    unsigned int count = 0;
    if (const nvml::Return code = f.get_count(&count); code != nvml::success) {
        status_ = GpuStatus::error;
        detail_ = "nvmlDeviceGetCount_v2: " + error_text(code);
        return;
    }
    if (count == 0) {
        status_ = GpuStatus::no_devices;
        detail_ = "NVML reports no GPU";
        return;
    }

    // Enumerate once, then order by PCI bus id as CUDA does under CUDA_DEVICE_ORDER=PCI_BUS_ID.
    // A device whose bus id cannot be read sorts after the others, in NVML order.
    struct Found {
        std::tuple<bool, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, unsigned int> key;
        Device device;
    };
    std::vector<Found> found;
    for (unsigned int index = 0; index < count; ++index) {
        Found item;
        std::get<5>(item.key) = index;
        std::get<0>(item.key) = true;
        if (const nvml::Return code = f.get_handle(index, &item.device.handle); code != nvml::success) {
            item.device.handle = nullptr;
            item.device.enumeration_error =
                "nvmlDeviceGetHandleByIndex_v2(" + std::to_string(index) + "): " + error_text(code);
        }
        if (item.device.handle != nullptr && f.get_pci_info != nullptr) {
            nvml::PciInfo pci{};
            if (f.get_pci_info(item.device.handle, &pci) == nvml::success) {
                pci.bus_id[sizeof(pci.bus_id) - 1] = '\0';
                item.device.pci_bus_id = pci.bus_id;
                std::uint64_t parts[4] = {};
                if (parse_pci_bus_id(item.device.pci_bus_id, parts)) {
                    item.key = {false, parts[0], parts[1], parts[2], parts[3], index};
                }
            }
        }
        if (item.device.handle != nullptr) {
            char text[nvml::device_uuid_buffer_bytes] = {};
            if (f.get_name != nullptr && f.get_name(item.device.handle, text, sizeof(text)) == nvml::success) {
                item.device.name = text;
            }
            std::memset(text, 0, sizeof(text));
            if (f.get_uuid != nullptr && f.get_uuid(item.device.handle, text, sizeof(text)) == nvml::success) {
                item.device.uuid = text;
            }
        }
        found.push_back(std::move(item));
    }
    std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.key < b.key; });
    for (std::size_t i = 0; i < found.size(); ++i) {
        found[i].device.id = static_cast<int>(i);
        devices_.push_back(std::move(found[i].device));
    }

    std::vector<int> ids = options_.selected_ids;
    if (ids.empty()) {
        for (const Device& device : devices_) ids.push_back(device.id);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (const int id : ids) {
        if (id >= 0 && static_cast<std::size_t>(id) < devices_.size()) {
            selected_.push_back(devices_[static_cast<std::size_t>(id)]);
        } else {
            Device missing;
            missing.id = id;
            selected_.push_back(std::move(missing));
        }
    }
    process_buffer_.resize(std::size_t{process_capacity_} * nvml::largest_process_info_bytes);
    status_ = GpuStatus::ok;
    detail_.clear();
}

void GpuSampler::sample(std::vector<GpuSample>& gpus) {
    if (status_ != GpuStatus::ok) {
        gpus.clear();
        return;
    }
    gpus.resize(selected_.size());
    process_info_.begin_round();
    for (std::size_t i = 0; i < selected_.size(); ++i) sample_device(selected_[i], gpus[i]);
    process_info_.end_round();
}

void GpuSampler::sample_device(Device& device, GpuSample& gpu) {
    const Functions& f = *functions_;
    gpu.id = device.id;
    gpu.pci_bus_id = device.pci_bus_id;
    gpu.utilization.reset();
    gpu.memory_used_bytes.reset();
    gpu.memory_total_bytes.reset();
    gpu.temperature_c.reset();
    gpu.power_w.reset();
    gpu.power_limit_w.reset();
    gpu.error.clear();
    gpu.processes.clear();
    if (device.handle == nullptr) {
        gpu.name.clear();
        gpu.uuid.clear();
        gpu.error = !device.enumeration_error.empty() ? device.enumeration_error
                                                      : "no GPU with id " + std::to_string(device.id) + " (" +
                                                            std::to_string(devices_.size()) + " found)";
        return;
    }

    // Each query: success fills the field; "not supported" leaves it null; a lost GPU stops here
    // (every further call would fail the same way); any other failure is named in `error`.
    bool gone = false;
    const auto check = [&](nvml::Return code, std::string_view field) {
        if (code == nvml::success) return true;
        if (code == nvml::error_not_supported) return false;
        if (lost(code)) {
            gone = true;
            gpu.error = error_text(code);
            return false;
        }
        append_error(gpu.error, field, error_text(code));
        return false;
    };

    // Name and UUID do not change: read at enumeration, retried here only if that failed.
    char text[nvml::device_uuid_buffer_bytes] = {};
    if (device.name.empty() && f.get_name != nullptr && check(f.get_name(device.handle, text, sizeof(text)), "name")) {
        device.name = text;
    }
    gpu.name = device.name;
    if (gone) return;
    std::memset(text, 0, sizeof(text));
    if (device.uuid.empty() && f.get_uuid != nullptr && check(f.get_uuid(device.handle, text, sizeof(text)), "uuid")) {
        device.uuid = text;
    }
    gpu.uuid = device.uuid;
    if (gone) return;

    if (f.get_utilization != nullptr) {
        nvml::Utilization rates{};
        if (check(f.get_utilization(device.handle, &rates), "utilization")) gpu.utilization = rates.gpu;
        if (gone) return;
    }
    // The v2 call reports memory as nvidia-smi does (reserved memory not counted as used); drivers
    // that lack it or reject its version fall back to v1 for good.
    bool have_memory = false;
    if (memory_v2_works_ && f.get_memory_v2 != nullptr) {
        nvml::MemoryV2 memory{};
        memory.version = nvml::memory_v2_version;
        const nvml::Return code = f.get_memory_v2(device.handle, &memory);
        if (code == nvml::error_function_not_found || code == nvml::error_argument_version_mismatch ||
            code == nvml::error_not_supported) {
            memory_v2_works_ = false;
        } else if (check(code, "memory")) {
            gpu.memory_used_bytes = memory.used;
            gpu.memory_total_bytes = memory.total;
            have_memory = true;
        }
        if (gone) return;
    }
    if (!have_memory && !memory_v2_works_ && f.get_memory != nullptr) {
        nvml::Memory memory{};
        if (check(f.get_memory(device.handle, &memory), "memory")) {
            gpu.memory_used_bytes = memory.used;
            gpu.memory_total_bytes = memory.total;
        }
        if (gone) return;
    }
    if (f.get_temperature != nullptr) {
        unsigned int celsius = 0;
        if (check(f.get_temperature(device.handle, nvml::temperature_gpu, &celsius), "temperature")) {
            gpu.temperature_c = static_cast<int>(celsius);
        }
        if (gone) return;
    }
    if (f.get_power_usage != nullptr) {
        unsigned int milliwatts = 0;
        if (check(f.get_power_usage(device.handle, &milliwatts), "power")) gpu.power_w = milliwatts / 1000.0;
        if (gone) return;
    }
    if (f.get_power_limit != nullptr) {
        unsigned int milliwatts = 0;
        if (check(f.get_power_limit(device.handle, &milliwatts), "power limit"))
            gpu.power_limit_w = milliwatts / 1000.0;
        if (gone) return;
    }
    if (f.get_processes != nullptr) sample_processes(device, gpu);
}

void GpuSampler::sample_processes(Device& device, GpuSample& gpu) {
    const Functions& f = *functions_;
    unsigned int count = 0;
    nvml::Return code = nvml::success;
    // The buffer always has room for process_capacity_ entries of the largest known layout, so a
    // driver writing wider entries than expected cannot overrun it.
    for (int attempt = 0; attempt < 3; ++attempt) {
        count = process_capacity_;
        code = f.get_processes(device.handle, &count, process_buffer_.data());
        if (code != nvml::error_insufficient_size) break;
        process_capacity_ = std::max(process_capacity_ * 2, count + 8);
        process_buffer_.resize(std::size_t{process_capacity_} * nvml::largest_process_info_bytes);
    }
    if (code == nvml::error_not_supported) return;
    if (code != nvml::success) {
        if (lost(code)) {
            gpu.error = error_text(code);
        } else {
            append_error(gpu.error, "processes", error_text(code));
        }
        return;
    }
    count = std::min(count, process_capacity_);
    if (count == 0) return;
    if (process_entry_bytes_ == 0 && process_measure_attempts_ < 3) {
        ++process_measure_attempts_;
        measure_process_entry_bytes(device.handle, count);
        // Measuring called the function again: read this sample from the measuring call's result.
        count = process_capacity_;
        if (f.get_processes(device.handle, &count, process_buffer_.data()) != nvml::success) return;
        count = std::min(count, process_capacity_);
    }
    const unsigned int stride = process_entry_bytes_ != 0 ? process_entry_bytes_ : f.default_process_entry_bytes;
    gpu.processes.resize(count);
    for (unsigned int i = 0; i < count; ++i) {
        nvml::ProcessInfoHead head{};
        std::memcpy(&head.pid, process_buffer_.data() + std::size_t{i} * stride, sizeof(head.pid));
        std::memcpy(&head.used_gpu_memory, process_buffer_.data() + std::size_t{i} * stride + 8,
                    sizeof(head.used_gpu_memory));
        GpuProcess& process = gpu.processes[i];
        process.pid = head.pid;
        process.memory_bytes.reset();
        if (head.used_gpu_memory != nvml::value_not_available) process.memory_bytes = head.used_gpu_memory;
        const ProcessInfoCache::Info& info = process_info_.lookup(head.pid);
        process.user = info.user;
        process.command = info.command;
    }
}

// Measures how many bytes the driver writes per process entry: the same call into two buffers,
// one pre-filled with 0x00 and one with 0xff. Bytes the driver wrote are equal in both; the last
// equal byte ends the last entry. Done once, the first time a GPU has processes; if the two calls
// disagree (a process came or went) the documented layout is kept and measuring is tried again later.
void GpuSampler::measure_process_entry_bytes(nvml::Device handle, unsigned int count) {
    const Functions& f = *functions_;
    const std::size_t bytes = std::size_t{process_capacity_} * nvml::largest_process_info_bytes;
    probe_buffer_.assign(bytes, 0xff);
    std::fill(process_buffer_.begin(), process_buffer_.end(), 0x00);
    unsigned int count_zero = process_capacity_;
    unsigned int count_ones = process_capacity_;
    if (f.get_processes(handle, &count_zero, process_buffer_.data()) != nvml::success) return;
    if (f.get_processes(handle, &count_ones, probe_buffer_.data()) != nvml::success) return;
    if (count_zero != count || count_ones != count) return;
    std::size_t extent = bytes;
    while (extent > 0 && process_buffer_[extent - 1] != probe_buffer_[extent - 1]) --extent;
    // Usually the driver writes `count` entries; some may clear the whole buffer they were given.
    for (const std::size_t entries : {std::size_t{count}, std::size_t{process_capacity_}}) {
        for (const unsigned int candidate : {16u, 24u, 32u}) {
            if (extent == entries * candidate) {
                process_entry_bytes_ = candidate;
                return;
            }
        }
    }
}

std::string GpuSampler::status_text() const {
    std::string text(gpu_status_name(status_));
    if (status_ == GpuStatus::error) text += ": " + detail_;
    return text;
}

}  // namespace ailab::sys
