// ailab_gpu_probe: runs the server's system sampler (src/system: /proc, statvfs, NVML via dlopen)
// once and prints what it read in nvidia-smi's column order, so bench/gpu_check.sh can show it
// beside `nvidia-smi --query-gpu=...`; then times the per-GPU and the CPU+memory+disk sample.
// Built from the sampler's sources alone, with libstdc++ linked in statically: at run time it needs
// only glibc 2.34 or newer and libgcc_s.so.1, so the executable carried to a GPU machine runs there as is.
//
// usage: ailab_gpu_probe [--nvml LIBRARY] [--proc-root DIR] [--gpus 0,1] [--repeat N] [--disk PATH]

#include <sys/random.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "system/sampler.hpp"

// The static libstdc++ of g++ 12 on Debian 12 drags in std::random_device, which calls glibc 2.36's
// arc4random and would make the probe refuse to start on glibc 2.34/2.35 (Ubuntu 22.04, RHEL 9).
// The probe never uses random_device; this definition satisfies the link with getrandom (glibc 2.25).
extern "C" std::uint32_t arc4random() {
    std::uint32_t value = 0;
    while (::getrandom(&value, sizeof(value), 0) != static_cast<ssize_t>(sizeof(value))) {
    }
    return value;
}

namespace {

using ailab::sys::GpuSample;
using ailab::sys::Sampler;
using ailab::sys::SamplerOptions;
using ailab::sys::SystemSample;

constexpr double mib = 1024.0 * 1024.0;

std::string or_na(const std::string& text) { return text.empty() ? "[N/A]" : text; }

// "[N/A]" as nvidia-smi writes a missing value, else the value with its unit.
template <typename T>
std::string number(const std::optional<T>& value, const char* unit = "", double scale = 1.0, int decimals = 0) {
    if (!value) return "[N/A]";
    char text[64];
    std::snprintf(text, sizeof(text), "%.*f%s", decimals, static_cast<double>(*value) / scale, unit);
    return text;
}

int usage(const char* name) {
    std::fprintf(stderr, "usage: %s [--nvml LIBRARY] [--proc-root DIR] [--gpus 0,1] [--repeat N] [--disk PATH]\n",
                 name);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    SamplerOptions options;
    int repeat = 1000;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (i + 1 >= argc) return usage(argv[0]);
        const std::string value = argv[++i];
        if (argument == "--nvml") {
            options.nvml_library = value;
        } else if (argument == "--proc-root") {
            options.proc_root = value;
        } else if (argument == "--repeat") {
            repeat = std::max(1, std::atoi(value.c_str()));
        } else if (argument == "--disk") {
            options.disks.push_back({"disk", value});
        } else if (argument == "--gpus") {
            for (std::size_t start = 0; start < value.size();) {
                const std::size_t comma = value.find(',', start);
                options.gpus.push_back(std::atoi(value.substr(start, comma - start).c_str()));
                start = comma == std::string::npos ? value.size() : comma + 1;
            }
        } else {
            return usage(argv[0]);
        }
    }
    if (options.disks.empty()) options.disks.push_back({"disk", "/"});

    const auto load_start = std::chrono::steady_clock::now();
    Sampler sampler(options);
    const double load_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - load_start).count();
    SystemSample sample;
    sampler.sample(sample);

    const auto* gpu = sampler.gpu();
    std::printf("library: %s\ngpu_status: %s%s%s\nnvml_devices: %zu\nload_and_init_ms: %.1f\n",
                options.nvml_library.c_str(), gpu_status_text(sample).c_str(),
                gpu != nullptr && !gpu->detail().empty() ? " -- " : "", gpu != nullptr ? gpu->detail().c_str() : "",
                gpu != nullptr ? gpu->device_count() : 0, load_ms);
    std::printf(
        "cpu: %.1f %% of %zu cores, load %.2f %.2f %.2f; memory: %.0f of %.0f MiB used; swap %.0f of %.0f MiB\n",
        sample.cpu.percent, sample.cpu.cores_percent.size(), sample.cpu.load[0], sample.cpu.load[1], sample.cpu.load[2],
        static_cast<double>(sample.memory.used_bytes) / mib, static_cast<double>(sample.memory.total_bytes) / mib,
        static_cast<double>(sample.memory.swap_used_bytes) / mib,
        static_cast<double>(sample.memory.swap_total_bytes) / mib);

    std::printf("\n# GPUs as the sampler reads them (id = CUDA_DEVICE_ORDER=PCI_BUS_ID index)\n");
    std::printf(
        "index, pci.bus_id, name, uuid, utilization.gpu [%%], memory.used [MiB], memory.total [MiB], "
        "temperature.gpu, power.draw [W], power.limit [W], error\n");
    for (const GpuSample& g : sample.gpus) {
        std::printf("%d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s\n", g.id, or_na(g.pci_bus_id).c_str(),
                    or_na(g.name).c_str(), or_na(g.uuid).c_str(), number(g.utilization, " %").c_str(),
                    number(g.memory_used_bytes, " MiB", mib).c_str(), number(g.memory_total_bytes, " MiB", mib).c_str(),
                    number(g.temperature_c).c_str(), number(g.power_w, " W", 1.0, 2).c_str(),
                    number(g.power_limit_w, " W", 1.0, 2).c_str(), g.error.empty() ? "-" : g.error.c_str());
    }
    std::printf("\n# compute processes as the sampler reads them\ngpu, pid, used_memory [MiB], user, command\n");
    for (const GpuSample& g : sample.gpus) {
        for (const auto& process : g.processes) {
            std::printf("%d, %u, %s, %s, %s\n", g.id, process.pid, number(process.memory_bytes, " MiB", mib).c_str(),
                        process.user.value_or("[N/A]").c_str(), process.command.value_or("[N/A]").c_str());
        }
    }
    if (gpu != nullptr && gpu->process_entry_bytes() != 0) {
        std::printf("process entry layout measured: %u bytes\n", gpu->process_entry_bytes());
    }

    // Cost: the mean over `repeat` samples after the one above.
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < repeat; ++i) sampler.sample_host(sample);
    const double host_us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / repeat;
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < repeat; ++i) sampler.sample_gpus(sample);
    const double gpus_us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / repeat;
    std::printf("\n# cost, mean of %d samples\ncpu+memory+disk sample: %.1f us (goal <= 200 us)\n", repeat, host_us);
    if (sample.gpus.empty()) {
        std::printf("GPU sample: no GPU (%s)\n", gpu_status_text(sample).c_str());
    } else {
        std::printf("GPU sample: %.1f us for %zu GPUs = %.1f us per GPU (goal <= 50 us)\n", gpus_us, sample.gpus.size(),
                    gpus_us / static_cast<double>(sample.gpus.size()));
    }
    return 0;
}
