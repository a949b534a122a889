// The /metrics round trip: renders a system sample built from the fuzz input with
// sys::render_metrics and run counts with runs::write_run_state_metrics (as GET /metrics does),
// reads it back with the strict exposition parser of the unit tests
// (tests/support/prometheus_exposition.hpp), and checks that it parses and that label values and
// sample values come back unchanged. Any byte may appear in a label value (disk paths, GPU names,
// run states); values may be NaN, infinite, huge or tiny.
//
// The input honours what the renderer may assume of a real sample: GPU ids are unique, and each
// disk role (results, workspace, queue) appears at most once.

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "runs/feature.hpp"
#include "support/prometheus_exposition.hpp"
#include "system/prometheus.hpp"

namespace {

using ailab::sys::SystemSample;

[[noreturn]] void fail(const std::string& what, const std::string& text) {
    std::fprintf(stderr, "prometheus fuzz: %s\n--- exposition ---\n%s--- end ---\n", what.c_str(), text.c_str());
    std::abort();
}

double any_double(FuzzedDataProvider& provider) {
    switch (provider.ConsumeIntegralInRange(0, 5)) {
    case 0: return std::numeric_limits<double>::quiet_NaN();
    case 1: return std::numeric_limits<double>::infinity();
    case 2: return -std::numeric_limits<double>::infinity();
    case 3: return -0.0;
    case 4: return std::numeric_limits<double>::denorm_min();
    default: return provider.ConsumeFloatingPoint<double>();
    }
}

template <typename T>
std::optional<T> maybe(FuzzedDataProvider& provider, T value) {
    if (provider.ConsumeBool()) return value;
    return std::nullopt;
}

std::string text(FuzzedDataProvider& provider) { return provider.ConsumeRandomLengthString(48); }

SystemSample make_sample(FuzzedDataProvider& provider) {
    SystemSample sample;
    sample.time = any_double(provider);
    sample.cpu.percent = any_double(provider);
    const int cores = provider.ConsumeIntegralInRange(0, 8);
    for (int i = 0; i < cores; ++i) sample.cpu.cores_percent.push_back(any_double(provider));
    for (double& load : sample.cpu.load) load = any_double(provider);
    sample.memory.total_bytes = provider.ConsumeIntegral<std::uint64_t>();
    sample.memory.used_bytes = provider.ConsumeIntegral<std::uint64_t>();
    sample.memory.available_bytes = provider.ConsumeIntegral<std::uint64_t>();
    sample.memory.swap_total_bytes = provider.ConsumeIntegral<std::uint64_t>();
    sample.memory.swap_used_bytes = provider.ConsumeIntegral<std::uint64_t>();
    for (const char* role : {"results", "workspace", "queue"}) {
        if (!provider.ConsumeBool()) continue;
        ailab::sys::DiskSample disk{.role = role, .path = text(provider)};
        disk.total_bytes = maybe(provider, provider.ConsumeIntegral<std::uint64_t>());
        disk.free_bytes = maybe(provider, provider.ConsumeIntegral<std::uint64_t>());
        sample.disks.push_back(std::move(disk));
    }
    sample.gpu_status = static_cast<ailab::sys::GpuStatus>(provider.ConsumeIntegralInRange(0, 4));
    sample.gpu_status_detail = text(provider);
    std::set<int> ids;
    const int gpus = provider.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < gpus; ++i) {
        ailab::sys::GpuSample gpu;
        gpu.id = provider.ConsumeIntegral<int>();
        if (!ids.insert(gpu.id).second) continue;
        gpu.name = text(provider);
        gpu.uuid = text(provider);
        gpu.utilization = maybe(provider, any_double(provider));
        gpu.memory_used_bytes = maybe(provider, provider.ConsumeIntegral<std::uint64_t>());
        gpu.memory_total_bytes = maybe(provider, provider.ConsumeIntegral<std::uint64_t>());
        gpu.temperature_c = maybe(provider, provider.ConsumeIntegral<int>());
        gpu.power_w = maybe(provider, any_double(provider));
        gpu.power_limit_w = maybe(provider, any_double(provider));
        gpu.error = text(provider);
        gpu.processes.resize(provider.ConsumeIntegralInRange(0, 3));
        sample.gpus.push_back(std::move(gpu));
    }
    return sample;
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void expect(const ailab::test_support::Exposition& exposition, const std::string& series, double value,
            const std::string& text) {
    const auto it = exposition.series.find(series);
    if (it == exposition.series.end()) fail("missing series " + series, text);
    if (!same(it->second, value)) fail("series " + series + " changed its value", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider provider(data, size);
    std::optional<SystemSample> sample;
    if (provider.ConsumeBool()) sample = make_sample(provider);
    std::optional<ailab::sys::SamplerStats> stats;
    if (provider.ConsumeBool()) {
        stats = ailab::sys::SamplerStats{.samples = provider.ConsumeIntegral<std::uint64_t>(),
                                         .last_sample_seconds = any_double(provider),
                                         .cpu_seconds = any_double(provider)};
    }
    std::map<std::string, std::size_t> run_counts;
    const int states = provider.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < states; ++i) run_counts.emplace(text(provider), provider.ConsumeIntegral<std::size_t>());

    std::string exposition_text =
        ailab::sys::render_metrics({.sample = sample ? &*sample : nullptr, .stats = stats ? &*stats : nullptr});
    ailab::runs::write_run_state_metrics(exposition_text, run_counts);
    ailab::test_support::Exposition exposition;
    try {
        exposition = ailab::test_support::parse_exposition(exposition_text);
    } catch (const std::runtime_error& error) {
        fail(std::string("the exposition does not parse: ") + error.what(), exposition_text);
    }

    for (const auto& [state, count] : run_counts)
        expect(exposition, "ailab_runs{state=\"" + state + "\"}", static_cast<double>(count), exposition_text);
    if (stats) {
        expect(exposition, "ailab_system_samples_total", static_cast<double>(stats->samples), exposition_text);
        expect(exposition, "ailab_system_sampler_cpu_seconds_total", stats->cpu_seconds, exposition_text);
    }
    if (sample) {
        expect(exposition, "ailab_system_sample_timestamp_seconds", sample->time, exposition_text);
        expect(exposition, "ailab_memory_total_bytes", static_cast<double>(sample->memory.total_bytes),
               exposition_text);
        const std::string status(ailab::sys::gpu_status_name(sample->gpu_status));
        expect(exposition, "ailab_gpu_status{status=\"" + status + "\"}", 1.0, exposition_text);
        for (const auto& disk : sample->disks) {
            if (disk.total_bytes) {
                expect(exposition, "ailab_disk_total_bytes{path=\"" + disk.path + "\",role=\"" + disk.role + "\"}",
                       static_cast<double>(*disk.total_bytes), exposition_text);
            }
        }
        for (const auto& gpu : sample->gpus) {
            const std::string id = std::to_string(gpu.id);
            expect(exposition, "ailab_gpu_info{gpu=\"" + id + "\",name=\"" + gpu.name + "\",uuid=\"" + gpu.uuid + "\"}",
                   1.0, exposition_text);
            expect(exposition, "ailab_gpu_processes{gpu=\"" + id + "\"}", static_cast<double>(gpu.processes.size()),
                   exposition_text);
        }
    }
    return 0;
}
