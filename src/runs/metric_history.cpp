#include "runs/metric_history.hpp"

#include <algorithm>
#include <limits>

namespace ailab::runs {

namespace {

constexpr float no_value = std::numeric_limits<float>::quiet_NaN();

Aggregate merge(const Aggregate& earlier, const Aggregate& later) {
    Aggregate result = earlier;
    bool minimum_from_later = later.minimum < earlier.minimum;
    bool maximum_from_later = later.maximum > earlier.maximum;
    if (minimum_from_later) {
        result.minimum = later.minimum;
        result.x_of_minimum = later.x_of_minimum;
    }
    if (maximum_from_later) {
        result.maximum = later.maximum;
        result.x_of_maximum = later.x_of_maximum;
    }
    if (minimum_from_later && maximum_from_later) result.minimum_first = later.minimum_first;
    else if (minimum_from_later) result.minimum_first = false;
    else if (maximum_from_later) result.minimum_first = true;
    return result;
}

}  // namespace

Series downsample(std::span<const Aggregate> aggregates, std::size_t max_points) {
    Series series;
    if (aggregates.empty() || max_points == 0) return series;
    std::size_t groups = std::max<std::size_t>(1, max_points / 2);
    // A single value per aggregate and few enough of them: every one is a point.
    bool all_single = std::all_of(aggregates.begin(), aggregates.end(), [](const Aggregate& a) {
        return a.minimum == a.maximum && a.x_of_minimum == a.x_of_maximum;
    });
    std::size_t group_size = (all_single && aggregates.size() <= max_points)
                                 ? 1
                                 : (aggregates.size() + groups - 1) / groups;
    series.x.reserve(std::min(aggregates.size() * 2, max_points));
    series.y.reserve(series.x.capacity());
    for (std::size_t start = 0; start < aggregates.size(); start += group_size) {
        Aggregate group = aggregates[start];
        auto end = std::min(aggregates.size(), start + group_size);
        for (std::size_t i = start + 1; i < end; ++i) group = merge(group, aggregates[i]);
        if (group.minimum == group.maximum && group.x_of_minimum == group.x_of_maximum) {
            series.x.push_back(group.x_of_minimum);
            series.y.push_back(group.minimum);
        } else if (group.minimum_first) {
            series.x.insert(series.x.end(), {group.x_of_minimum, group.x_of_maximum});
            series.y.insert(series.y.end(), {group.minimum, group.maximum});
        } else {
            series.x.insert(series.x.end(), {group.x_of_maximum, group.x_of_minimum});
            series.y.insert(series.y.end(), {group.maximum, group.minimum});
        }
    }
    return series;
}

MetricHistory::MetricHistory(std::size_t capacity) : capacity_(std::max<std::size_t>(2, capacity & ~std::size_t{1})) {}

void MetricHistory::clear() {
    auto capacity = capacity_;
    *this = MetricHistory(capacity);
}

std::optional<std::uint32_t> MetricHistory::find_metric(std::string_view name) const {
    for (std::uint32_t i = 0; i < names_.size(); ++i) {
        if (names_[i] == name) return i;
    }
    return std::nullopt;
}

std::uint32_t MetricHistory::metric_index(std::string_view name) {
    auto count = static_cast<std::uint32_t>(names_.size());
    for (std::uint32_t n = 0; n < count; ++n) {
        std::uint32_t i = name_hint_ + n < count ? name_hint_ + n : name_hint_ + n - count;
        if (names_[i] == name) {
            name_hint_ = i + 1 < count ? i + 1 : 0;
            return i;
        }
    }
    names_.emplace_back(name);
    Column column;
    column.minimum.assign(offsets_.size(), no_value);
    column.maximum.assign(offsets_.size(), no_value);
    column.minimum_first.assign(offsets_.size(), 1);
    columns_.push_back(std::move(column));
    name_hint_ = 0;
    return count;
}

void MetricHistory::add_bucket(std::uint64_t offset, const LineX& x) {
    offsets_.push_back(offset);
    first_step_.push_back(x.step);
    last_step_.push_back(x.step);
    first_time_.push_back(x.time);
    last_time_.push_back(x.time);
    first_epoch_.push_back(static_cast<float>(x.epoch));
    last_epoch_.push_back(static_cast<float>(x.epoch));
    for (auto& column : columns_) {
        column.minimum.push_back(no_value);
        column.maximum.push_back(no_value);
        column.minimum_first.push_back(1);
    }
}

void MetricHistory::halve() {
    std::size_t count = offsets_.size();
    std::size_t half = count / 2;
    for (std::size_t i = 0; i < half; ++i) {
        std::size_t a = 2 * i, b = 2 * i + 1;
        offsets_[i] = offsets_[a];
        first_step_[i] = first_step_[a];
        last_step_[i] = last_step_[b];
        first_time_[i] = first_time_[a];
        last_time_[i] = last_time_[b];
        first_epoch_[i] = first_epoch_[a];
        last_epoch_[i] = last_epoch_[b];
        for (auto& column : columns_) {
            float min_a = column.minimum[a], min_b = column.minimum[b];
            float max_a = column.maximum[a], max_b = column.maximum[b];
            if (std::isnan(min_a)) {
                column.minimum[i] = min_b, column.maximum[i] = max_b, column.minimum_first[i] = column.minimum_first[b];
            } else if (std::isnan(min_b)) {
                column.minimum[i] = min_a, column.maximum[i] = max_a, column.minimum_first[i] = column.minimum_first[a];
            } else {
                bool minimum_from_b = min_b < min_a;
                bool maximum_from_b = max_b > max_a;
                column.minimum[i] = minimum_from_b ? min_b : min_a;
                column.maximum[i] = maximum_from_b ? max_b : max_a;
                column.minimum_first[i] = minimum_from_b == maximum_from_b
                                              ? column.minimum_first[minimum_from_b ? b : a]
                                              : static_cast<std::uint8_t>(!minimum_from_b);
            }
        }
    }
    auto shrink = [half](auto& vector) { vector.resize(half); };
    shrink(offsets_), shrink(first_step_), shrink(last_step_), shrink(first_time_), shrink(last_time_);
    shrink(first_epoch_), shrink(last_epoch_);
    for (auto& column : columns_) shrink(column.minimum), shrink(column.maximum), shrink(column.minimum_first);
    lines_per_bucket_ *= 2;
}

void MetricHistory::add_line(std::uint64_t offset, const LineX& x, std::span<const Value> values) {
    std::size_t bucket = line_count_ / lines_per_bucket_;
    if (bucket == offsets_.size()) {
        if (offsets_.size() == capacity_) {
            halve();
            bucket = line_count_ / lines_per_bucket_;
        }
        if (bucket == offsets_.size()) add_bucket(offset, x);
    }
    last_step_[bucket] = x.step;
    last_time_[bucket] = x.time;
    last_epoch_[bucket] = static_cast<float>(x.epoch);
    for (const auto& [metric, number] : values) {
        auto& column = columns_[metric];
        float value = static_cast<float>(number);
        float& minimum = column.minimum[bucket];
        float& maximum = column.maximum[bucket];
        if (std::isnan(minimum)) {
            minimum = maximum = value;
            column.minimum_first[bucket] = 1;
        } else if (value < minimum) {
            minimum = value;
            column.minimum_first[bucket] = 0;
        } else if (value > maximum) {
            maximum = value;
            column.minimum_first[bucket] = 1;
        }
    }
    ++line_count_;
}

std::optional<Series> MetricHistory::series(std::uint32_t metric, XAxis axis, std::size_t max_points) const {
    if (metric >= columns_.size()) return Series{};
    const auto& column = columns_[metric];
    // Enough resolution: exact, or at least as many buckets as the requested min/max groups.
    std::size_t wanted_groups = std::max<std::size_t>(1, max_points / 2);
    if (lines_per_bucket_ > 1 && offsets_.size() < wanted_groups) return std::nullopt;
    const std::vector<double>* first_x = nullptr;
    const std::vector<double>* last_x = nullptr;
    if (axis == XAxis::step) first_x = &first_step_, last_x = &last_step_;
    if (axis == XAxis::time) first_x = &first_time_, last_x = &last_time_;
    std::vector<Aggregate> aggregates;
    aggregates.reserve(offsets_.size());
    for (std::size_t b = 0; b < offsets_.size(); ++b) {
        float minimum = column.minimum[b];
        if (std::isnan(minimum)) continue;
        double first = first_x ? (*first_x)[b] : static_cast<double>(first_epoch_[b]);
        double last = last_x ? (*last_x)[b] : static_cast<double>(last_epoch_[b]);
        if (std::isnan(first) || std::isnan(last)) continue;
        bool minimum_first = column.minimum_first[b] != 0;
        // Inside a bucket we know the order of minimum and maximum, not their exact x: place the
        // earlier one at the bucket's first x and the later one at its last x.
        Aggregate aggregate{minimum, column.maximum[b], minimum_first ? first : last, minimum_first ? last : first,
                            minimum_first};
        if (aggregate.minimum == aggregate.maximum) aggregate.x_of_minimum = aggregate.x_of_maximum = last;
        aggregates.push_back(aggregate);
    }
    return downsample(aggregates, max_points);
}

std::size_t MetricHistory::memory_bytes() const {
    std::size_t bytes = sizeof(*this);
    bytes += offsets_.capacity() * sizeof(std::uint64_t);
    bytes += (first_step_.capacity() + last_step_.capacity() + first_time_.capacity() + last_time_.capacity()) *
             sizeof(double);
    bytes += (first_epoch_.capacity() + last_epoch_.capacity()) * sizeof(float);
    for (const auto& column : columns_)
        bytes += column.minimum.capacity() * 4 + column.maximum.capacity() * 4 + column.minimum_first.capacity();
    for (const auto& name : names_) bytes += sizeof(name) + name.capacity();
    return bytes;
}

}  // namespace ailab::runs
