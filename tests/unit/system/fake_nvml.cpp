// A fake libnvidia-ml.so.1 for the system tests: exports the NVML symbols the sampler looks up and
// answers from a script. Types are declared here from NVIDIA's nvml.h documentation, independently
// of src/system/nvml_api.hpp, so a layout mistake there is not mirrored here.
//
// Scenarios (fake_nvml_set_scenario(), else $AILAB_FAKE_NVML_SCENARIO, else "two_gpus"), read at
// nvmlInit_v2. NVML enumerates the GPUs out of PCI order: NVML index 0 sits on bus C1 and index 1 on
// bus 41, so CUDA (PCI order) calls index 1 GPU 0 and index 0 GPU 1.
//   two_gpus          index 1 "Fake GPU A" (bus 41): 35 %, 10/80 GiB, 40 C, 120.5/700 W, process 4242
//                     with 8 GiB; index 0 "Fake GPU B" (bus C1): 0 %, 1/40 GiB, 50 C, power draw not
//                     supported, limit 300 W, no processes
//   one_lost          as two_gpus, but index 0 answers every query after enumeration with GPU_IS_LOST
//   no_permission     as two_gpus, but index 1's temperature answers NO_PERMISSION
//   no_memory_v2      as two_gpus, but nvmlDeviceGetMemoryInfo_v2 is FUNCTION_NOT_FOUND
//   many_processes    as two_gpus, but index 1 runs 40 processes (pids 5000.., i MiB each)
//   wide_entries      as two_gpus, but index 1 runs 4242, 4243 (memory not available) and 4244, and
//                     the process list is written with the 32-byte entries of the R535 driver
//   no_handle         as two_gpus, but nvmlDeviceGetHandleByIndex_v2(0) answers GPU_IS_LOST
//   no_devices        nvmlDeviceGetCount_v2 says 0
//   init_fails        nvmlInit_v2 answers DRIVER_NOT_LOADED

#include <cstdlib>
#include <cstring>
#include <string>

extern "C" {

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st* nvmlDevice_t;

typedef struct {
    char busIdLegacy[16];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;
    unsigned int pciSubSystemId;
    char busId[32];
} nvmlPciInfo_t;

typedef struct {
    unsigned int gpu;
    unsigned int memory;
} nvmlUtilization_t;

typedef struct {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

typedef struct {
    unsigned int version;
    unsigned long long total;
    unsigned long long reserved;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_v2_t;

typedef struct {  // 24 bytes: what _v3 writes on most drivers
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_v2_t;

typedef struct {  // 32 bytes: what _v3 wrote on the R535 driver
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
    unsigned long long usedGpuCcProtectedMemory;
} nvmlProcessInfo_v3_t;

}  // extern "C"

namespace {

constexpr nvmlReturn_t SUCCESS = 0;
constexpr nvmlReturn_t ERROR_UNINITIALIZED = 1;
constexpr nvmlReturn_t ERROR_INVALID_ARGUMENT = 2;
constexpr nvmlReturn_t ERROR_NOT_SUPPORTED = 3;
constexpr nvmlReturn_t ERROR_NO_PERMISSION = 4;
constexpr nvmlReturn_t ERROR_INSUFFICIENT_SIZE = 7;
constexpr nvmlReturn_t ERROR_DRIVER_NOT_LOADED = 9;
constexpr nvmlReturn_t ERROR_FUNCTION_NOT_FOUND = 13;
constexpr nvmlReturn_t ERROR_GPU_IS_LOST = 15;
constexpr nvmlReturn_t ERROR_ARGUMENT_VERSION_MISMATCH = 25;
constexpr unsigned long long GIB = 1024ull * 1024 * 1024;
constexpr unsigned long long MIB = 1024ull * 1024;

struct Process {
    unsigned int pid;
    unsigned long long memory;
};

struct FakeDevice {
    const char* bus_id;
    unsigned int bus;
    const char* name;
    const char* uuid;
    unsigned int utilization;
    unsigned long long memory_total;
    unsigned long long memory_used;
    unsigned int temperature;
    nvmlReturn_t temperature_answer;
    unsigned int power_mw;
    nvmlReturn_t power_answer;
    unsigned int power_limit_mw;
    bool lost;
    Process processes[64];
    unsigned int process_count;
};

struct State {
    std::string scenario;
    std::string requested;  // set by fake_nvml_set_scenario
    bool initialised = false;
    int init_count = 0;
    int shutdown_count = 0;
    long query_count = 0;
    unsigned int device_count = 2;
    bool memory_v2 = true;
    bool wide_entries = false;
    FakeDevice devices[2];
};

State state;

nvmlDevice_t handle_of(unsigned int index) { return reinterpret_cast<nvmlDevice_t>(&state.devices[index]); }

// Resolves a handle; on failure `answer` says why.
FakeDevice* device_of(nvmlDevice_t handle, nvmlReturn_t& answer) {
    ++state.query_count;
    if (!state.initialised) {
        answer = ERROR_UNINITIALIZED;
        return nullptr;
    }
    for (unsigned int i = 0; i < state.device_count; ++i) {
        if (handle == handle_of(i)) {
            if (state.devices[i].lost) {
                answer = ERROR_GPU_IS_LOST;
                return nullptr;
            }
            answer = SUCCESS;
            return &state.devices[i];
        }
    }
    answer = ERROR_INVALID_ARGUMENT;
    return nullptr;
}

void load_scenario() {
    if (!state.requested.empty()) {
        state.scenario = state.requested;
    } else if (const char* name = std::getenv("AILAB_FAKE_NVML_SCENARIO")) {
        state.scenario = name;
    } else {
        state.scenario = "two_gpus";
    }
    state.device_count = 2;
    state.memory_v2 = true;
    state.wide_entries = false;
    state.devices[0] =
        FakeDevice{"00000000:C1:00.0",  0xC1,   "Fake GPU B", "GPU-fake-b", 0, 40 * GIB, 1 * GIB, 50, SUCCESS, 0,
                   ERROR_NOT_SUPPORTED, 300000, false,        {},           0};
    state.devices[1] = FakeDevice{"00000000:41:00.0",
                                  0x41,
                                  "Fake GPU A",
                                  "GPU-fake-a",
                                  35,
                                  80 * GIB,
                                  10 * GIB,
                                  40,
                                  SUCCESS,
                                  120500,
                                  SUCCESS,
                                  700000,
                                  false,
                                  {{4242, 8 * GIB}},
                                  1};
    const std::string& s = state.scenario;
    if (s == "no_devices") state.device_count = 0;
    if (s == "no_permission") state.devices[1].temperature_answer = ERROR_NO_PERMISSION;
    if (s == "no_memory_v2") state.memory_v2 = false;
    if (s == "many_processes") {
        state.devices[1].process_count = 40;
        for (unsigned int i = 0; i < 40; ++i) state.devices[1].processes[i] = {5000 + i, i * MIB};
    }
    if (s == "wide_entries") {
        state.wide_entries = true;
        state.devices[1].process_count = 3;
        state.devices[1].processes[0] = {4242, 8 * GIB};
        state.devices[1].processes[1] = {4243, ~0ull};
        state.devices[1].processes[2] = {4244, 2 * GIB};
    }
}

}  // namespace

extern "C" {

// Test controls (not NVML).
void fake_nvml_set_scenario(const char* name) { state.requested = name != nullptr ? name : ""; }
int fake_nvml_init_count() { return state.init_count; }
int fake_nvml_shutdown_count() { return state.shutdown_count; }
long fake_nvml_query_count() { return state.query_count; }
// Makes NVML index `index` fall off the bus now (GPU_IS_LOST from the next query on).
void fake_nvml_lose_gpu(unsigned int index) {
    if (index < 2) state.devices[index].lost = true;
}

const char* nvmlErrorString(nvmlReturn_t result) {
    switch (result) {
    case SUCCESS: return "Success";
    case ERROR_UNINITIALIZED: return "Uninitialized";
    case ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case ERROR_NOT_SUPPORTED: return "Not Supported";
    case ERROR_NO_PERMISSION: return "Insufficient Permissions";
    case ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case ERROR_FUNCTION_NOT_FOUND: return "Function Not Found";
    case ERROR_GPU_IS_LOST: return "GPU is lost";
    case ERROR_ARGUMENT_VERSION_MISMATCH: return "Argument Version Mismatch";
    default: return "Unknown Error";
    }
}

nvmlReturn_t nvmlInit_v2() {
    load_scenario();
    if (state.scenario == "init_fails") return ERROR_DRIVER_NOT_LOADED;
    state.initialised = true;
    ++state.init_count;
    if (state.scenario == "one_lost") state.devices[0].lost = false;  // lost after enumeration, below
    return SUCCESS;
}

nvmlReturn_t nvmlShutdown() {
    if (!state.initialised) return ERROR_UNINITIALIZED;
    state.initialised = false;
    ++state.shutdown_count;
    return SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* count) {
    if (!state.initialised) return ERROR_UNINITIALIZED;
    if (count == nullptr) return ERROR_INVALID_ARGUMENT;
    *count = state.device_count;
    return SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
    if (!state.initialised) return ERROR_UNINITIALIZED;
    if (index >= state.device_count || device == nullptr) return ERROR_INVALID_ARGUMENT;
    if (state.scenario == "no_handle" && index == 0) return ERROR_GPU_IS_LOST;
    *device = handle_of(index);
    return SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t handle, nvmlPciInfo_t* pci) {
    nvmlReturn_t answer;
    FakeDevice* device = device_of(handle, answer);
    if (device == nullptr) return answer;
    std::memset(pci, 0, sizeof(*pci));
    std::strncpy(pci->busId, device->bus_id, sizeof(pci->busId) - 1);
    std::strncpy(pci->busIdLegacy, device->bus_id + 4, sizeof(pci->busIdLegacy) - 1);
    pci->bus = device->bus;
    pci->pciDeviceId = 0x233010de;
    return SUCCESS;
}

static nvmlReturn_t copy_text(const char* text, char* out, unsigned int length) {
    if (out == nullptr) return ERROR_INVALID_ARGUMENT;
    if (std::strlen(text) + 1 > length) return ERROR_INSUFFICIENT_SIZE;
    std::strcpy(out, text);
    return SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t handle, char* name, unsigned int length) {
    nvmlReturn_t answer;
    FakeDevice* device = device_of(handle, answer);
    return device == nullptr ? answer : copy_text(device->name, name, length);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t handle, char* uuid, unsigned int length) {
    nvmlReturn_t answer;
    FakeDevice* device = device_of(handle, answer);
    nvmlReturn_t result = device == nullptr ? answer : copy_text(device->uuid, uuid, length);
    // one_lost: index 0 falls off the bus right after the sampler enumerated it.
    if (state.scenario == "one_lost" && handle == handle_of(0)) state.devices[0].lost = true;
    return result;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t handle, nvmlUtilization_t* utilization) {
    nvmlReturn_t answer;
    FakeDevice* device = device_of(handle, answer);
    if (device == nullptr) return answer;
    utilization->gpu = device->utilization;
    utilization->memory = device->utilization / 2;
    return SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t handle, nvmlMemory_t* memory) {
    nvmlReturn_t answer;
    FakeDevice* device = device_of(handle, answer);
    if (device == nullptr) return answer;
    // v1 counts the driver's reserved memory (here 512 MiB) as used.
    memory->total = device->memory_total;
    memory->used = device->memory_used + 512 * MIB;
    memory->free = memory->total - memory->used;
    return SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t handle, nvmlMemory_v2_t* memory) {
    if (!state.memory_v2) return ERROR_FUNCTION_NOT_FOUND;
    nvmlReturn_t answer;
    FakeDevice* device = device_of(handle, answer);
    if (device == nullptr) return answer;
    if (memory->version != (static_cast<unsigned int>(sizeof(nvmlMemory_v2_t)) | (2u << 24))) {
        return ERROR_ARGUMENT_VERSION_MISMATCH;
    }
    memory->total = device->memory_total;
    memory->reserved = 512 * MIB;
    memory->used = device->memory_used;
    memory->free = memory->total - memory->reserved - memory->used;
    return SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t handle, int sensor, unsigned int* temperature) {
    nvmlReturn_t answer;
    FakeDevice* device = device_of(handle, answer);
    if (device == nullptr) return answer;
    if (sensor != 0) return ERROR_INVALID_ARGUMENT;
    if (device->temperature_answer != SUCCESS) return device->temperature_answer;
    *temperature = device->temperature;
    return SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t handle, unsigned int* power) {
    nvmlReturn_t answer;
    FakeDevice* device = device_of(handle, answer);
    if (device == nullptr) return answer;
    if (device->power_answer != SUCCESS) return device->power_answer;
    *power = device->power_mw;
    return SUCCESS;
}

nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t handle, unsigned int* limit) {
    nvmlReturn_t answer;
    FakeDevice* device = device_of(handle, answer);
    if (device == nullptr) return answer;
    *limit = device->power_limit_mw;
    return SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t handle, unsigned int* count, void* infos) {
    nvmlReturn_t answer;
    FakeDevice* device = device_of(handle, answer);
    if (device == nullptr) return answer;
    if (count == nullptr) return ERROR_INVALID_ARGUMENT;
    const unsigned int capacity = *count;
    *count = device->process_count;
    if (capacity < device->process_count) return ERROR_INSUFFICIENT_SIZE;
    if (device->process_count > 0 && infos == nullptr) return ERROR_INVALID_ARGUMENT;
    for (unsigned int i = 0; i < device->process_count; ++i) {
        const Process& process = device->processes[i];
        if (state.wide_entries) {
            nvmlProcessInfo_v3_t entry{process.pid, process.memory, 0xffffffffu, 0xffffffffu, 0};
            std::memcpy(static_cast<char*>(infos) + i * sizeof(entry), &entry, sizeof(entry));
        } else {
            nvmlProcessInfo_v2_t entry{process.pid, process.memory, 0xffffffffu, 0xffffffffu};
            std::memcpy(static_cast<char*>(infos) + i * sizeof(entry), &entry, sizeof(entry));
        }
    }
    return SUCCESS;
}

}  // extern "C"
