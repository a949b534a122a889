#pragma once
// The system service: one sampler thread that samples the machine every config.sample_interval,
// keeps the latest sample and the history, and publishes "system.sample" on the hub topic "system".

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/config.hpp"
#include "net/hub.hpp"
#include "system/history.hpp"
#include "system/prometheus.hpp"
#include "system/sample.hpp"
#include "system/sampler.hpp"
#include "system/settings.hpp"

namespace ailab::sys {

// Where the sampler reads from. The server uses the defaults; tests point them at recorded /proc
// files and at the fake NVML library built with the tests.
struct SamplerSources {
    std::filesystem::path proc_root = "/proc";
    std::string nvml_library = default_nvml_library;
};

class SystemService {
public:
    // Reads config.cluster and gpus, settings.sample_interval, and the results/workspace/queue folders (for the
    // disks); keeps copies, so `config` need not outlive the service. Samples nothing until start().
    SystemService(const core::Config& config, const Settings& settings, net::Hub& hub,
                  const SamplerSources& sources = {});
    ~SystemService();  // stop()
    SystemService(const SystemService&) = delete;
    SystemService& operator=(const SystemService&) = delete;

    // Loads NVML (dlopen + nvmlInit_v2, once for the service's life), takes the first sample on the
    // calling thread and starts the sampler thread. Does nothing in cluster mode or when running.
    // start() and stop() are for the owning thread; every other member is thread-safe.
    void start();
    // Stops and joins the sampler thread, then shuts NVML down. Idempotent.
    void stop();

    // Takes one sample now on the calling thread, exactly as the sampler thread does (publishing
    // included). Does nothing before start(). For tests and benchmarks.
    void sample_now();

    // Calls `listener` on the sampling thread after every sample (sample_now() included), while the
    // sampler lock is held (latest() may be called; sample_now() may not). Register before start(). It must be quick,
    // thread-safe, and callable until stop().
    void on_sample(std::function<void()> listener) { listeners_.push_back(std::move(listener)); }

    bool cluster() const { return cluster_; }
    std::chrono::milliseconds sample_interval() const { return sample_interval_; }
    // A copy of the latest sample; nullopt before the first one and in cluster mode.
    std::optional<SystemSample> latest() const;
    HistorySnapshot history(HistoryRange range) const;
    SamplerStats stats() const;

private:
    void run(const std::stop_token& stop);
    void take_sample();
    void log_changes();

    const bool cluster_;
    const std::chrono::milliseconds sample_interval_;
    const SamplerOptions options_;
    net::Hub& hub_;
    std::vector<std::function<void()>> listeners_;  // set before start(), read-only after

    // Guards sampler_, scratch_ and the logged_* state. Held for a whole sample (by the sampler
    // thread or sample_now()); data_mutex_ is taken inside it only to copy the result in.
    std::mutex sampler_mutex_;
    std::unique_ptr<Sampler> sampler_;
    SystemSample scratch_;  // the sample being taken; its storage is reused from sample to sample
    std::optional<GpuStatus> logged_gpu_status_;
    std::vector<std::string> logged_gpu_errors_;

    // Guards latest_, history_, history_sized_ and stats_: read by the routes on the I/O threads, written after each
    // sample. Held only to copy in or out, never while sampling or serialising.
    mutable std::mutex data_mutex_;
    std::optional<SystemSample> latest_;
    History history_;
    bool history_sized_ = false;  // history_ was built for the GPUs found at start()
    SamplerStats stats_;

    // Wakes the sampler thread early when stop() is called.
    std::mutex wake_mutex_;
    std::condition_variable_any wake_;
    std::jthread thread_;
};

}  // namespace ailab::sys
