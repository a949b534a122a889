#pragma once
// Fixed-size history of samples: the last hour at the sampling rate and the last 24 hours at one
// point a minute (the mean of that minute's samples). All storage is allocated in the constructor.
// Not thread-safe: the service guards it with its mutex.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "system/sample.hpp"

namespace ailab::sys {

enum class HistoryRange { hour, day };

struct HistoryPoint {
    double time = 0.0;  // Unix seconds; for the day range the start of the minute
    double cpu_percent = 0.0;
    double memory_percent = 0.0;
};

// A GPU value that was not available is NaN.
struct HistoryGpuValue {
    double utilization = 0.0;
    double memory_used_bytes = 0.0;
};

struct HistorySnapshot {
    HistoryRange range = HistoryRange::hour;
    double interval_s = 1.0;
    std::vector<int> gpu_ids;
    std::vector<HistoryPoint> points;         // oldest first
    std::vector<HistoryGpuValue> gpu_values;  // points.size() * gpu_ids.size(), row-major by point
};

class History {
public:
    // gpu_ids: the GPUs every sample reports, in the order of SystemSample::gpus.
    History(std::chrono::milliseconds sample_interval, std::vector<int> gpu_ids);

    void add(const SystemSample& sample);
    HistorySnapshot snapshot(HistoryRange range) const;
    std::size_t capacity(HistoryRange range) const;
    std::size_t size(HistoryRange range) const;

private:
    class Ring {
    public:
        Ring(std::size_t capacity, std::size_t gpu_count);
        void push(const HistoryPoint& point, const HistoryGpuValue* gpu_values);
        void copy_to(HistorySnapshot& snapshot) const;
        std::size_t capacity() const { return points_.size(); }
        std::size_t size() const { return size_; }

    private:
        std::size_t gpu_count_;
        std::size_t next_ = 0;  // where the next point goes
        std::size_t size_ = 0;
        std::vector<HistoryPoint> points_;
        std::vector<HistoryGpuValue> gpu_values_;
    };

    void flush_minute();

    std::chrono::milliseconds sample_interval_;
    std::vector<int> gpu_ids_;
    Ring hour_;
    Ring day_;
    // The minute being averaged for the day ring.
    std::optional<std::int64_t> minute_;
    std::size_t minute_count_ = 0;
    double cpu_sum_ = 0.0;
    double memory_sum_ = 0.0;
    struct GpuSum {
        double utilization = 0.0;
        std::size_t utilization_count = 0;
        double memory_used_bytes = 0.0;
        std::size_t memory_count = 0;
    };
    std::vector<GpuSum> gpu_sums_;
    std::vector<HistoryGpuValue> scratch_;  // one point's GPU values
};

}  // namespace ailab::sys
