// Cost of the system sampler (issue 4 goals: <= 200 us for CPU + memory + disks, <= 50 us per GPU,
// <= 0.2 % of a core at 1 sample/s).
//
//   BM_HostSample        one CPU + load + memory + 3 disks sample from the real /proc, and from the
//                        recorded 128-core proc root
//   BM_GpuSample/real    NVML through dlopen("libnvidia-ml.so.1"); "no GPU" where there is none
//   BM_GpuSample/fake    the same code path on the fake NVML of the tests (our overhead only; the
//                        driver's cost is what real measures). Found beside this binary in the build
//                        folder, or at $AILAB_FAKE_NVML.
//   BM_SampleMessage     the system.sample WebSocket message (serialised only when someone listens)
//   BM_Metrics           GET /metrics body
//   BM_SamplerShare      the real service at 1 Hz for $AILAB_BENCH_SHARE_SECONDS (default 20) with one
//                        WebSocket subscriber: CPU time of the sampler thread and of the process / wall
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "net/hub.hpp"
#include "system/prometheus.hpp"
#include "system/sampler.hpp"
#include "system/serialize.hpp"
#include "system/service.hpp"

namespace {

using namespace ailab;

std::filesystem::path temp_folder() { return std::filesystem::temp_directory_path(); }

std::vector<sys::DiskTarget> disks() {
    const auto folder = std::filesystem::current_path();
    return {{"results", folder}, {"workspace", folder}, {"queue", temp_folder()}};
}

std::string fake_nvml() {
    if (const char* path = std::getenv("AILAB_FAKE_NVML")) return path;
    // <build>/bench/ailab_system_bench -> <build>/tests/unit/system/fake_nvml/libnvidia-ml.so.1
    const auto self = std::filesystem::read_symlink("/proc/self/exe");
    return (self.parent_path().parent_path() / "tests/unit/system/fake_nvml/libnvidia-ml.so.1").string();
}

void BM_HostSample(benchmark::State& state) {
    sys::SamplerOptions options;
    options.disks = disks();
    options.gpu_monitoring = sys::GpuMonitoring::disabled;
    sys::Sampler sampler(options);
    sys::SystemSample sample;
    for (auto _ : state) {
        sampler.sample_host(sample);
        benchmark::DoNotOptimize(sample.cpu.percent);
    }
    state.counters["cores"] = static_cast<double>(sample.cpu.cores_percent.size());
}
BENCHMARK(BM_HostSample)->Unit(benchmark::kMicrosecond);

// The same on the recorded 128-core proc root (tests/fixtures/proc/many_cores, found from the
// repository root): our reading and parsing of a big machine's files; the kernel's cost of
// generating them on such a machine is not in it.
void BM_HostSample_128_cores(benchmark::State& state) {
    const std::filesystem::path root = "tests/fixtures/proc/many_cores";
    if (!std::filesystem::exists(root / "stat")) {
        state.SkipWithError("run from the repository root to find tests/fixtures/proc/many_cores");
        for (auto _ : state) {
        }
        return;
    }
    sys::SamplerOptions options;
    options.proc_root = root;
    options.disks = disks();
    options.gpu_monitoring = sys::GpuMonitoring::disabled;
    sys::Sampler sampler(options);
    sys::SystemSample sample;
    for (auto _ : state) {
        sampler.sample_host(sample);
        benchmark::DoNotOptimize(sample.cpu.percent);
    }
    state.counters["cores"] = static_cast<double>(sample.cpu.cores_percent.size());
}
BENCHMARK(BM_HostSample_128_cores)->Name("BM_HostSample/fixture_128_cores")->Unit(benchmark::kMicrosecond);

void gpu_sample(benchmark::State& state, const std::string& library, const char* label) {
    sys::SamplerOptions options;
    options.nvml_library = library;
    sys::Sampler sampler(options);
    const sys::GpuSampler* gpu = sampler.gpu();
    if (gpu == nullptr || gpu->status() != sys::GpuStatus::ok) {
        const std::string why =
            std::string("no GPU (") + label + ": " +
            (gpu != nullptr ? gpu->status_text() + (gpu->detail().empty() ? "" : ", " + gpu->detail()) : "disabled") +
            ")";
        state.SkipWithError(why.c_str());
        for (auto _ : state) {
        }
        return;
    }
    sys::SystemSample sample;
    sampler.sample_gpus(sample);
    for (auto _ : state) {
        sampler.sample_gpus(sample);
        benchmark::DoNotOptimize(sample.gpus.data());
    }
    const double gpus = static_cast<double>(sample.gpus.size());
    state.counters["gpus"] = gpus;
    // Seconds per GPU per sample.
    state.counters["per_gpu"] =
        benchmark::Counter(gpus, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
    state.SetLabel(label);
}

void BM_GpuSample_real(benchmark::State& state) { gpu_sample(state, sys::default_nvml_library, "real NVML"); }
BENCHMARK(BM_GpuSample_real)->Name("BM_GpuSample/real")->Unit(benchmark::kMicrosecond);

void BM_GpuSample_fake(benchmark::State& state) { gpu_sample(state, fake_nvml(), "fake NVML"); }
BENCHMARK(BM_GpuSample_fake)->Name("BM_GpuSample/fake")->Unit(benchmark::kMicrosecond);

sys::SystemSample full_sample() {
    sys::SamplerOptions options;
    options.disks = disks();
    options.nvml_library = fake_nvml();
    sys::Sampler sampler(options);
    sys::SystemSample sample;
    sampler.sample(sample);
    return sample;
}

void BM_SampleMessage(benchmark::State& state) {
    const sys::SystemSample sample = full_sample();
    for (auto _ : state) benchmark::DoNotOptimize(sys::sample_message(sample));
}
BENCHMARK(BM_SampleMessage)->Unit(benchmark::kMicrosecond);

void BM_Metrics(benchmark::State& state) {
    const sys::SystemSample sample = full_sample();
    const sys::SamplerStats stats;
    for (auto _ : state) benchmark::DoNotOptimize(sys::render_metrics({.sample = &sample, .stats = &stats}));
}
BENCHMARK(BM_Metrics)->Unit(benchmark::kMicrosecond);

class NullClient : public net::HubClient {
public:
    void deliver(net::SharedMessage message) override { benchmark::DoNotOptimize(message->size()); }
};

double process_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void BM_SamplerShare(benchmark::State& state) {
    const char* seconds_text = std::getenv("AILAB_BENCH_SHARE_SECONDS");
    const int seconds = seconds_text != nullptr ? std::max(1, std::atoi(seconds_text)) : 20;
    core::Config config;
    config.results = std::filesystem::current_path();
    config.workspace = std::filesystem::current_path();
    config.queue = temp_folder();
    sys::Settings settings;
    settings.sample_interval = std::chrono::milliseconds(1000);
    for (auto _ : state) {
        net::Hub hub;
        auto client = std::make_shared<NullClient>();
        hub.subscribe(client, "system");
        sys::SystemService service(config, settings, hub);  // the server's own sources: /proc, libnvidia-ml.so.1
        service.start();
        const double process_before = process_cpu_seconds();
        const auto wall_before = std::chrono::steady_clock::now();
        const auto stats_before = service.stats();
        std::this_thread::sleep_for(std::chrono::seconds(seconds));
        const auto stats_after = service.stats();
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
        const double process = process_cpu_seconds() - process_before;
        service.stop();
        state.counters["samples"] = static_cast<double>(stats_after.samples - stats_before.samples);
        state.counters["sampler_share_%"] = 100.0 * (stats_after.cpu_seconds - stats_before.cpu_seconds) / wall;
        state.counters["process_share_%"] = 100.0 * process / wall;
        state.SetLabel(service.latest() ? "gpu_status: " + sys::gpu_status_text(*service.latest()) : "no sample");
    }
}
BENCHMARK(BM_SamplerShare)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
