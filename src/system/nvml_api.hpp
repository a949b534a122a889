#pragma once
// The slice of the NVML C ABI that the GPU sampler calls, declared here because nvml.h is not
// installed where the server is built and the library is only ever reached through dlopen/dlsym.
// Layouts and values follow NVIDIA's nvml.h (NVML API reference, R450 and later).

#include <cstdint>

namespace ailab::sys::nvml {

using Return = int;                    // nvmlReturn_t
using Device = struct nvmlDevice_st*;  // nvmlDevice_t, an opaque handle

inline constexpr Return success = 0;
inline constexpr Return error_not_supported = 3;
inline constexpr Return error_insufficient_size = 7;
inline constexpr Return error_function_not_found = 13;
inline constexpr Return error_gpu_is_lost = 15;
inline constexpr Return error_reset_required = 16;
inline constexpr Return error_argument_version_mismatch = 25;

inline constexpr unsigned int temperature_gpu = 0;                // NVML_TEMPERATURE_GPU
inline constexpr unsigned long long value_not_available = ~0ull;  // NVML_VALUE_NOT_AVAILABLE
inline constexpr unsigned int device_name_buffer_bytes = 96;      // NVML_DEVICE_NAME_V2_BUFFER_SIZE
inline constexpr unsigned int device_uuid_buffer_bytes = 96;      // NVML_DEVICE_UUID_V2_BUFFER_SIZE

struct PciInfo {  // nvmlPciInfo_t, as filled by nvmlDeviceGetPciInfo_v3
    char bus_id_legacy[16];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pci_device_id;
    unsigned int pci_sub_system_id;
    char bus_id[32];  // "00000000:41:00.0"
};

struct Utilization {  // nvmlUtilization_t
    unsigned int gpu;
    unsigned int memory;
};

struct Memory {  // nvmlMemory_t (v1: used includes memory the driver reserves)
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};

struct MemoryV2 {  // nvmlMemory_v2_t (used excludes reserved memory, as nvidia-smi shows it)
    unsigned int version;
    unsigned long long total;
    unsigned long long reserved;
    unsigned long long free;
    unsigned long long used;
};
// NVML_STRUCT_VERSION(Memory, 2)
inline constexpr unsigned int memory_v2_version = static_cast<unsigned int>(sizeof(MemoryV2)) | (2u << 24);

// nvmlProcessInfo_v1_t / _v2_t / the R535 _v3_t all begin with these two fields. What differs is
// the stride: 16, 24 or 32 bytes. nvmlDeviceGetComputeRunningProcesses_v3 has used both 24 and 32
// bytes across drivers without a version bump, so the sampler measures the stride it gets.
struct ProcessInfoHead {
    unsigned int pid;
    unsigned long long used_gpu_memory;
};
inline constexpr unsigned int largest_process_info_bytes = 32;

// Function pointer types, named after the symbols.
using InitFunction = Return (*)();
using ShutdownFunction = Return (*)();
using ErrorStringFunction = const char* (*)(Return);
using DeviceGetCountFunction = Return (*)(unsigned int*);
using DeviceGetHandleByIndexFunction = Return (*)(unsigned int, Device*);
using DeviceGetPciInfoFunction = Return (*)(Device, PciInfo*);
using DeviceGetStringFunction = Return (*)(Device, char*, unsigned int);  // GetName, GetUUID
using DeviceGetUtilizationRatesFunction = Return (*)(Device, Utilization*);
using DeviceGetMemoryInfoFunction = Return (*)(Device, Memory*);
using DeviceGetMemoryInfoV2Function = Return (*)(Device, MemoryV2*);
using DeviceGetTemperatureFunction = Return (*)(Device, unsigned int, unsigned int*);
using DeviceGetUnsignedFunction = Return (*)(Device, unsigned int*);  // power usage / limit, mW
using DeviceGetProcessesFunction = Return (*)(Device, unsigned int*, void*);

}  // namespace ailab::sys::nvml
