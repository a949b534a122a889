#include "system/history.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace ailab::sys {
namespace {

constexpr std::int64_t hour_ms = std::int64_t{3600} * 1000;
constexpr std::size_t day_minutes = std::size_t{24} * 60;
constexpr std::size_t largest_hour_capacity = 36000;  // sampling faster than 10 Hz keeps less than an hour
constexpr double not_available = std::numeric_limits<double>::quiet_NaN();

std::size_t hour_capacity(std::chrono::milliseconds interval) {
    const std::int64_t interval_ms = std::max<std::int64_t>(1, interval.count());
    const auto points = static_cast<std::size_t>((hour_ms + interval_ms - 1) / interval_ms);
    return std::clamp<std::size_t>(points, 1, largest_hour_capacity);
}

}  // namespace

History::Ring::Ring(std::size_t capacity, std::size_t gpu_count)
    : gpu_count_(gpu_count), points_(capacity), gpu_values_(capacity * gpu_count) {}

void History::Ring::push(const HistoryPoint& point, const HistoryGpuValue* gpu_values) {
    points_[next_] = point;
    std::copy_n(gpu_values, gpu_count_, gpu_values_.begin() + static_cast<std::ptrdiff_t>(next_ * gpu_count_));
    next_ = (next_ + 1) % points_.size();
    size_ = std::min(size_ + 1, points_.size());
}

void History::Ring::copy_to(HistorySnapshot& snapshot) const {
    snapshot.points.clear();
    snapshot.gpu_values.clear();
    snapshot.points.reserve(size_);
    snapshot.gpu_values.reserve(size_ * gpu_count_);
    const std::size_t first = (next_ + points_.size() - size_) % points_.size();
    for (std::size_t i = 0; i < size_; ++i) {
        const std::size_t slot = (first + i) % points_.size();
        snapshot.points.push_back(points_[slot]);
        const auto begin = gpu_values_.begin() + static_cast<std::ptrdiff_t>(slot * gpu_count_);
        snapshot.gpu_values.insert(snapshot.gpu_values.end(), begin, begin + static_cast<std::ptrdiff_t>(gpu_count_));
    }
}

History::History(std::chrono::milliseconds sample_interval, std::vector<int> gpu_ids)
    : sample_interval_(sample_interval),
      gpu_ids_(std::move(gpu_ids)),
      hour_(hour_capacity(sample_interval), gpu_ids_.size()),
      day_(day_minutes, gpu_ids_.size()),
      gpu_sums_(gpu_ids_.size()),
      scratch_(gpu_ids_.size()) {}

void History::add(const SystemSample& sample) {
    for (std::size_t i = 0; i < gpu_ids_.size(); ++i) {
        HistoryGpuValue& value = scratch_[i];
        value = {not_available, not_available};
        if (i < sample.gpus.size()) {
            const GpuSample& gpu = sample.gpus[i];
            if (gpu.utilization) value.utilization = *gpu.utilization;
            if (gpu.memory_used_bytes) value.memory_used_bytes = static_cast<double>(*gpu.memory_used_bytes);
        }
    }
    hour_.push({sample.time, sample.cpu.percent, sample.memory.percent}, scratch_.data());

    const auto minute = static_cast<std::int64_t>(std::floor(sample.time / 60.0));
    if (minute_ && *minute_ != minute) flush_minute();
    minute_ = minute;
    ++minute_count_;
    cpu_sum_ += sample.cpu.percent;
    memory_sum_ += sample.memory.percent;
    for (std::size_t i = 0; i < gpu_ids_.size(); ++i) {
        GpuSum& sum = gpu_sums_[i];
        if (!std::isnan(scratch_[i].utilization)) {
            sum.utilization += scratch_[i].utilization;
            ++sum.utilization_count;
        }
        if (!std::isnan(scratch_[i].memory_used_bytes)) {
            sum.memory_used_bytes += scratch_[i].memory_used_bytes;
            ++sum.memory_count;
        }
    }
}

void History::flush_minute() {
    if (!minute_ || minute_count_ == 0) return;
    const auto count = static_cast<double>(minute_count_);
    for (std::size_t i = 0; i < gpu_ids_.size(); ++i) {
        GpuSum& sum = gpu_sums_[i];
        scratch_[i].utilization =
            sum.utilization_count > 0 ? sum.utilization / static_cast<double>(sum.utilization_count) : not_available;
        scratch_[i].memory_used_bytes =
            sum.memory_count > 0 ? sum.memory_used_bytes / static_cast<double>(sum.memory_count) : not_available;
        sum = GpuSum{};
    }
    day_.push({static_cast<double>(*minute_) * 60.0, cpu_sum_ / count, memory_sum_ / count}, scratch_.data());
    minute_count_ = 0;
    cpu_sum_ = 0.0;
    memory_sum_ = 0.0;
}

HistorySnapshot History::snapshot(HistoryRange range) const {
    HistorySnapshot snapshot;
    snapshot.range = range;
    snapshot.gpu_ids = gpu_ids_;
    if (range == HistoryRange::hour) {
        snapshot.interval_s = static_cast<double>(sample_interval_.count()) / 1000.0;
        hour_.copy_to(snapshot);
    } else {
        snapshot.interval_s = 60.0;
        day_.copy_to(snapshot);
    }
    return snapshot;
}

std::size_t History::capacity(HistoryRange range) const {
    return range == HistoryRange::hour ? hour_.capacity() : day_.capacity();
}

std::size_t History::size(HistoryRange range) const { return range == HistoryRange::hour ? hour_.size() : day_.size(); }

}  // namespace ailab::sys
