#include "system/service.hpp"

#include <spdlog/spdlog.h>
#include <time.h>

#include <utility>

#include "system/serialize.hpp"

namespace ailab::sys {
namespace {

constexpr std::string_view topic = "system";

double thread_cpu_seconds() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

SamplerOptions make_options(const core::Config& config, const SamplerSources& sources) {
    SamplerOptions options;
    options.proc_root = sources.proc_root;
    options.nvml_library = sources.nvml_library;
    options.gpus = config.gpus;
    for (const auto& [role, path] : {std::pair{"results", &config.results}, std::pair{"workspace", &config.workspace},
                                     std::pair{"queue", &config.queue}}) {
        if (!path->empty()) options.disks.push_back({role, *path});
    }
    options.gpu_monitoring = config.cluster ? GpuMonitoring::disabled : GpuMonitoring::enabled;
    return options;
}

}  // namespace

SystemService::SystemService(const core::Config& config, const Settings& settings, net::Hub& hub,
                             const SamplerSources& sources)
    : cluster_(config.cluster),
      sample_interval_(std::max(settings.sample_interval, std::chrono::milliseconds{10})),
      options_(make_options(config, sources)),
      hub_(hub),
      history_(sample_interval_, {}) {}

SystemService::~SystemService() { stop(); }

void SystemService::start() {
    if (cluster_ || thread_.joinable()) return;
    {
        std::lock_guard lock(sampler_mutex_);
        if (!sampler_) sampler_ = std::make_unique<Sampler>(options_);
    }
    take_sample();
    {
        // The GPUs are known now: size the history for them once.
        std::vector<int> gpu_ids;
        std::lock_guard lock(data_mutex_);
        if (latest_) {
            for (const GpuSample& gpu : latest_->gpus) gpu_ids.push_back(gpu.id);
        }
        history_ = History(sample_interval_, std::move(gpu_ids));
        if (latest_) history_.add(*latest_);
        history_sized_ = true;
    }
    thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
}

void SystemService::stop() {
    if (thread_.joinable()) {
        thread_.request_stop();
        wake_.notify_all();
        thread_.join();
    }
    std::lock_guard lock(sampler_mutex_);
    sampler_.reset();  // nvmlShutdown and dlclose
}

void SystemService::sample_now() { take_sample(); }

void SystemService::run(const std::stop_token& stop) {
    auto next = std::chrono::steady_clock::now() + sample_interval_;
    while (!stop.stop_requested()) {
        {
            std::unique_lock lock(wake_mutex_);
            if (wake_.wait_until(lock, stop, next, [] { return false; })) break;
        }
        if (stop.stop_requested()) break;
        take_sample();
        // Keep to the schedule; after an overrun (a stalled NVML call) start again from now.
        next += sample_interval_;
        const auto now = std::chrono::steady_clock::now();
        if (next <= now) next = now + sample_interval_;
    }
}

void SystemService::take_sample() {
    std::lock_guard sampler_lock(sampler_mutex_);
    if (!sampler_) return;
    const double cpu_before = thread_cpu_seconds();
    const auto wall_before = std::chrono::steady_clock::now();
    sampler_->sample(scratch_);
    const double wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
    {
        std::lock_guard data_lock(data_mutex_);
        if (latest_) {
            *latest_ = scratch_;  // copy-assignment reuses the vectors' storage
        } else {
            latest_ = scratch_;
        }
        if (history_sized_) history_.add(scratch_);  // start() adds the first sample itself
        ++stats_.samples;
        stats_.last_sample_seconds = wall_seconds;
    }
    log_changes();
    if (hub_.subscriber_count(topic) > 0) hub_.publish(topic, sample_message(scratch_));
    const double cpu_seconds = thread_cpu_seconds() - cpu_before;
    {
        std::lock_guard data_lock(data_mutex_);
        stats_.cpu_seconds += cpu_seconds;
    }
    for (const auto& listener : listeners_) listener();
}

// Logs GPU monitoring's state once, and each GPU's error when it appears, changes or clears.
void SystemService::log_changes() {
    if (scratch_.gpu_status != logged_gpu_status_) {
        logged_gpu_status_ = scratch_.gpu_status;
        const GpuSampler* gpu = sampler_->gpu();
        const std::string detail = gpu != nullptr && !gpu->detail().empty() ? " (" + gpu->detail() + ")" : "";
        const std::string status = gpu_status_text(scratch_);
        if (scratch_.gpu_status == GpuStatus::ok) {
            spdlog::info("system: GPU monitoring through NVML: {} of {} GPUs", scratch_.gpus.size(),
                         gpu != nullptr ? gpu->device_count() : 0);
        } else if (gpu != nullptr && gpu->status() == GpuStatus::error) {
            spdlog::warn("system: GPU monitoring: {}{}; the server runs without it", status, detail);
        } else {
            // No library or no GPU: normal on machines without NVIDIA GPUs.
            spdlog::info("system: GPU monitoring: {}{}; the server runs without it", status, detail);
        }
    }
    logged_gpu_errors_.resize(scratch_.gpus.size());
    for (std::size_t i = 0; i < scratch_.gpus.size(); ++i) {
        const GpuSample& gpu = scratch_.gpus[i];
        if (gpu.error == logged_gpu_errors_[i]) continue;
        if (gpu.error.empty()) {
            spdlog::info("system: GPU {} reads again", gpu.id);
        } else {
            spdlog::warn("system: GPU {}: {}", gpu.id, gpu.error);
        }
        logged_gpu_errors_[i] = gpu.error;
    }
}

std::optional<SystemSample> SystemService::latest() const {
    std::lock_guard lock(data_mutex_);
    return latest_;
}

HistorySnapshot SystemService::history(HistoryRange range) const {
    std::lock_guard lock(data_mutex_);
    return history_.snapshot(range);
}

SamplerStats SystemService::stats() const {
    std::lock_guard lock(data_mutex_);
    return stats_;
}

}  // namespace ailab::sys
