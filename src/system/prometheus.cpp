#include "system/prometheus.hpp"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <utility>

namespace ailab::sys {
namespace {

struct Label {
    std::string_view name;
    std::string_view value;
};

class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}

    // Starts a family; samples follow until the next family.
    void family(std::string_view name, std::string_view type, std::string_view help) {
        name_ = name;
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;  // the help texts here contain no backslash or line feed
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }

    void sample(std::initializer_list<Label> labels, double value) {
        begin_sample(labels);
        if (std::isnan(value)) {
            out_ += "NaN";
        } else if (std::isinf(value)) {
            out_ += value > 0 ? "+Inf" : "-Inf";
        } else {
            char text[32];
            const auto result = std::to_chars(text, text + sizeof(text), value);
            out_.append(text, result.ptr);
        }
        out_ += '\n';
    }

    void sample(std::initializer_list<Label> labels, std::uint64_t value) {
        begin_sample(labels);
        char text[24];
        const auto result = std::to_chars(text, text + sizeof(text), value);
        out_.append(text, result.ptr);
        out_ += '\n';
    }

private:
    void begin_sample(std::initializer_list<Label> labels) {
        out_ += name_;
        if (labels.size() > 0) {
            out_ += '{';
            bool first = true;
            for (const Label& label : labels) {
                if (!first) out_ += ',';
                first = false;
                out_ += label.name;
                out_ += "=\"";
                out_ += escape_label_value(label.value);
                out_ += '"';
            }
            out_ += '}';
        }
        out_ += ' ';
    }

    std::string& out_;
    std::string_view name_;
};

// Writes one per-GPU gauge family for the GPUs where `value` has something.
template <typename Value>
void gpu_family(Writer& writer, const SystemSample& sample, std::string_view name, std::string_view help, Value value) {
    bool any = false;
    for (const GpuSample& gpu : sample.gpus) any = any || value(gpu).has_value();
    if (!any) return;
    writer.family(name, "gauge", help);
    for (const GpuSample& gpu : sample.gpus) {
        if (const auto v = value(gpu)) {
            const std::string id = std::to_string(gpu.id);
            writer.sample({{"gpu", id}}, *v);
        }
    }
}

void write_system(Writer& writer, const SystemSample& sample) {
    writer.family("ailab_system_sample_timestamp_seconds", "gauge", "Unix time of the latest system sample.");
    writer.sample({}, sample.time);

    writer.family("ailab_cpu_utilization_ratio", "gauge",
                  "Busy share of all CPUs over the last sample interval (0 to 1).");
    writer.sample({}, sample.cpu.percent / 100.0);
    if (!sample.cpu.cores_percent.empty()) {
        writer.family("ailab_cpu_core_utilization_ratio", "gauge",
                      "Busy share of one CPU over the last sample interval (0 to 1).");
        for (std::size_t i = 0; i < sample.cpu.cores_percent.size(); ++i) {
            const std::string core = std::to_string(i);
            writer.sample({{"core", core}}, sample.cpu.cores_percent[i] / 100.0);
        }
    }
    writer.family("ailab_load_average", "gauge", "Load average over the period.");
    writer.sample({{"period", "1m"}}, sample.cpu.load[0]);
    writer.sample({{"period", "5m"}}, sample.cpu.load[1]);
    writer.sample({{"period", "15m"}}, sample.cpu.load[2]);

    writer.family("ailab_memory_total_bytes", "gauge", "Physical memory.");
    writer.sample({}, sample.memory.total_bytes);
    writer.family("ailab_memory_used_bytes", "gauge", "Physical memory in use: total minus available.");
    writer.sample({}, sample.memory.used_bytes);
    writer.family("ailab_memory_available_bytes", "gauge",
                  "Memory available for new work without swapping (MemAvailable).");
    writer.sample({}, sample.memory.available_bytes);
    writer.family("ailab_swap_total_bytes", "gauge", "Swap space.");
    writer.sample({}, sample.memory.swap_total_bytes);
    writer.family("ailab_swap_used_bytes", "gauge", "Swap space in use.");
    writer.sample({}, sample.memory.swap_used_bytes);

    bool any_disk = false;
    for (const DiskSample& disk : sample.disks) any_disk = any_disk || disk.total_bytes.has_value();
    if (any_disk) {
        writer.family("ailab_disk_total_bytes", "gauge", "Size of the filesystem holding the folder.");
        for (const DiskSample& disk : sample.disks) {
            if (disk.total_bytes) writer.sample({{"role", disk.role}, {"path", disk.path}}, *disk.total_bytes);
        }
        writer.family("ailab_disk_free_bytes", "gauge",
                      "Bytes free for unprivileged users on the filesystem holding the folder.");
        for (const DiskSample& disk : sample.disks) {
            if (disk.free_bytes) writer.sample({{"role", disk.role}, {"path", disk.path}}, *disk.free_bytes);
        }
    }

    writer.family("ailab_gpu_status", "gauge",
                  "1 for the current state of GPU monitoring (ok, no library, no devices, error, disabled).");
    writer.sample({{"status", gpu_status_name(sample.gpu_status)}}, std::uint64_t{1});
    if (sample.gpus.empty()) return;

    writer.family("ailab_gpu_info", "gauge", "1 for each monitored GPU, with its name and UUID.");
    for (const GpuSample& gpu : sample.gpus) {
        const std::string id = std::to_string(gpu.id);
        writer.sample({{"gpu", id}, {"name", gpu.name}, {"uuid", gpu.uuid}}, std::uint64_t{1});
    }
    writer.family("ailab_gpu_error", "gauge", "1 when reading the GPU failed in the latest sample.");
    for (const GpuSample& gpu : sample.gpus) {
        const std::string id = std::to_string(gpu.id);
        writer.sample({{"gpu", id}}, std::uint64_t{gpu.error.empty() ? 0u : 1u});
    }
    gpu_family(writer, sample, "ailab_gpu_utilization_ratio", "Share of time a kernel ran on the GPU (0 to 1).",
               [](const GpuSample& gpu) -> std::optional<double> {
                   if (!gpu.utilization) return std::nullopt;
                   return *gpu.utilization / 100.0;
               });
    gpu_family(writer, sample, "ailab_gpu_memory_used_bytes", "GPU memory in use.",
               [](const GpuSample& gpu) { return gpu.memory_used_bytes; });
    gpu_family(writer, sample, "ailab_gpu_memory_total_bytes", "GPU memory.",
               [](const GpuSample& gpu) { return gpu.memory_total_bytes; });
    gpu_family(writer, sample, "ailab_gpu_temperature_celsius", "GPU core temperature.",
               [](const GpuSample& gpu) -> std::optional<double> {
                   if (!gpu.temperature_c) return std::nullopt;
                   return static_cast<double>(*gpu.temperature_c);
               });
    gpu_family(writer, sample, "ailab_gpu_power_watts", "GPU power draw.",
               [](const GpuSample& gpu) { return gpu.power_w; });
    gpu_family(writer, sample, "ailab_gpu_power_limit_watts", "Power limit the driver enforces on the GPU.",
               [](const GpuSample& gpu) { return gpu.power_limit_w; });
    writer.family("ailab_gpu_processes", "gauge", "Compute processes on the GPU.");
    for (const GpuSample& gpu : sample.gpus) {
        const std::string id = std::to_string(gpu.id);
        writer.sample({{"gpu", id}}, static_cast<std::uint64_t>(gpu.processes.size()));
    }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string escaped;
    escaped.reserve(value.size());
    for (const char c : value) {
        switch (c) {
        case '\\': escaped += "\\\\"; break;
        case '"': escaped += "\\\""; break;
        case '\n': escaped += "\\n"; break;
        default: escaped += c;
        }
    }
    return escaped;
}

std::string render_metrics(const MetricsInput& input) {
    std::string out;
    out.reserve(4096);
    Writer writer(out);
    if (input.sample != nullptr) write_system(writer, *input.sample);
    if (input.stats != nullptr) {
        writer.family("ailab_system_samples_total", "counter", "System samples taken since the server started.");
        writer.sample({}, input.stats->samples);
        writer.family("ailab_system_sample_duration_seconds", "gauge", "Wall time the latest system sample took.");
        writer.sample({}, input.stats->last_sample_seconds);
        writer.family("ailab_system_sampler_cpu_seconds_total", "counter",
                      "CPU time used by the system sampler thread.");
        writer.sample({}, input.stats->cpu_seconds);
    }
    return out;
}

}  // namespace ailab::sys
