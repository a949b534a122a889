#include "system/serialize.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>

namespace ailab::sys {
namespace {

namespace json = boost::json;

// Percentages and watts to two decimals: the UI shows fewer and the messages stay short.
double rounded(double value) { return std::round(value * 100.0) / 100.0; }

template <typename T>
json::value optional_value(const std::optional<T>& value) {
    if (!value) return nullptr;
    return json::value(*value);
}

json::value optional_rounded(const std::optional<double>& value) {
    if (!value) return nullptr;
    return rounded(*value);
}

json::value text_or_null(const std::string& text) {
    if (text.empty()) return nullptr;
    return json::value(text);
}

// Averaged byte counts are whole numbers again on the wire.
json::value bytes_or_null(double value) {
    if (std::isnan(value) || value < 0) return nullptr;
    return static_cast<std::uint64_t>(std::llround(value));
}

void fill_sample(json::object& object, const SystemSample& sample) {
    object["cluster"] = false;
    object["time"] = sample.time;

    json::array cores;
    cores.reserve(sample.cpu.cores_percent.size());
    for (const double percent : sample.cpu.cores_percent) cores.emplace_back(rounded(percent));
    object["cpu"] = {{"percent", rounded(sample.cpu.percent)},
                     {"cores", std::move(cores)},
                     {"load", json::array{sample.cpu.load[0], sample.cpu.load[1], sample.cpu.load[2]}}};

    object["memory"] = {
        {"total_bytes", sample.memory.total_bytes},           {"used_bytes", sample.memory.used_bytes},
        {"available_bytes", sample.memory.available_bytes},   {"percent", rounded(sample.memory.percent)},
        {"swap_total_bytes", sample.memory.swap_total_bytes}, {"swap_used_bytes", sample.memory.swap_used_bytes}};

    json::array disks;
    for (const DiskSample& disk : sample.disks) {
        disks.push_back(json::object{{"path", disk.path},
                                     {"role", disk.role},
                                     {"total_bytes", optional_value(disk.total_bytes)},
                                     {"free_bytes", optional_value(disk.free_bytes)}});
    }
    object["disks"] = std::move(disks);

    json::array gpus;
    for (const GpuSample& gpu : sample.gpus) {
        json::array processes;
        for (const GpuProcess& process : gpu.processes) {
            processes.push_back(json::object{{"pid", process.pid},
                                             {"user", optional_value(process.user)},
                                             {"command", optional_value(process.command)},
                                             {"memory_bytes", optional_value(process.memory_bytes)}});
        }
        gpus.push_back(json::object{{"id", gpu.id},
                                    {"name", text_or_null(gpu.name)},
                                    {"uuid", text_or_null(gpu.uuid)},
                                    {"utilization", optional_rounded(gpu.utilization)},
                                    {"memory_used_bytes", optional_value(gpu.memory_used_bytes)},
                                    {"memory_total_bytes", optional_value(gpu.memory_total_bytes)},
                                    {"temperature_c", optional_value(gpu.temperature_c)},
                                    {"power_w", optional_rounded(gpu.power_w)},
                                    {"power_limit_w", optional_rounded(gpu.power_limit_w)},
                                    {"error", text_or_null(gpu.error)},
                                    {"processes", std::move(processes)}});
    }
    object["gpus"] = std::move(gpus);
    object["gpu_status"] = gpu_status_text(sample);
}

}  // namespace

json::object sample_to_json(const SystemSample& sample) {
    json::object object;
    fill_sample(object, sample);
    return object;
}

json::object cluster_to_json() { return json::object{{"cluster", true}, {"gpu_status", "disabled"}}; }

std::string sample_message(const SystemSample& sample) {
    json::object object;
    object["type"] = "system.sample";
    fill_sample(object, sample);
    return json::serialize(object);
}

json::object history_to_json(const HistorySnapshot& snapshot) {
    json::array samples;
    samples.reserve(snapshot.points.size());
    const std::size_t gpu_count = snapshot.gpu_ids.size();
    for (std::size_t i = 0; i < snapshot.points.size(); ++i) {
        const HistoryPoint& point = snapshot.points[i];
        json::array gpus;
        gpus.reserve(gpu_count);
        for (std::size_t g = 0; g < gpu_count; ++g) {
            const HistoryGpuValue& value = snapshot.gpu_values[i * gpu_count + g];
            gpus.push_back(
                json::object{{"id", snapshot.gpu_ids[g]},
                             {"utilization", std::isnan(value.utilization) ? json::value(nullptr)
                                                                           : json::value(rounded(value.utilization))},
                             {"memory_used_bytes", bytes_or_null(value.memory_used_bytes)}});
        }
        samples.push_back(json::object{{"time", point.time},
                                       {"cpu_percent", rounded(point.cpu_percent)},
                                       {"memory_percent", rounded(point.memory_percent)},
                                       {"gpus", std::move(gpus)}});
    }
    return json::object{{"range", snapshot.range == HistoryRange::hour ? "1h" : "24h"},
                        {"interval_s", snapshot.interval_s},
                        {"samples", std::move(samples)}};
}

}  // namespace ailab::sys
