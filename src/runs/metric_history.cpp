#include "runs/metric_history.hpp"

#include <algorithm>
#include <cstring>
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
    if (minimum_from_later && maximum_from_later)
        result.minimum_first = later.minimum_first;
    else if (minimum_from_later)
        result.minimum_first = false;
    else if (maximum_from_later)
        result.minimum_first = true;
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
    std::size_t group_size =
        (all_single && aggregates.size() <= max_points) ? 1 : (aggregates.size() + groups - 1) / groups;
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

std::uint32_t MetricHistory::metric_index_search(std::string_view name) {
    auto count = static_cast<std::uint32_t>(names_.size());
    for (std::uint32_t n = 0; n < count; ++n) {
        std::uint32_t i = name_hint_ + n < count ? name_hint_ + n : name_hint_ + n - count;
        const std::string& known = names_[i];
        // Size and first byte first: most mismatches end there without a memcmp call.
        if (known.size() == name.size() && (name.empty() || known[0] == name[0]) &&
            std::memcmp(known.data(), name.data(), name.size()) == 0) {
            name_hint_ = i + 1 < count ? i + 1 : 0;
            return i;
        }
    }
    names_.emplace_back(name);
    columns_.emplace_back(buckets_.size(), Cell{no_value, no_value, true});
    totals_.emplace_back();
    name_hint_ = 0;
    return count;
}

void MetricHistory::halve() {
    std::size_t half = buckets_.size() / 2;
    for (std::size_t i = 0; i < half; ++i) {
        std::size_t a = 2 * i, b = 2 * i + 1;
        Bucket merged = buckets_[a];
        merged.last_step = buckets_[b].last_step;
        merged.last_time = buckets_[b].last_time;
        merged.last_epoch = buckets_[b].last_epoch;
        buckets_[i] = merged;
        for (auto& column : columns_) {
            const Cell first = column[a];
            const Cell second = column[b];
            Cell& merged = column[i];
            if (std::isnan(first.minimum)) {
                merged = second;
            } else if (std::isnan(second.minimum)) {
                merged = first;
            } else {
                bool minimum_from_second = second.minimum < first.minimum;
                bool maximum_from_second = second.maximum > first.maximum;
                merged.minimum = minimum_from_second ? second.minimum : first.minimum;
                merged.maximum = maximum_from_second ? second.maximum : first.maximum;
                merged.minimum_first = minimum_from_second == maximum_from_second
                                           ? (minimum_from_second ? second : first).minimum_first
                                           : !minimum_from_second;
            }
        }
    }
    buckets_.resize(half);
    for (auto& column : columns_) column.resize(half);
    ++bucket_shift_;
}

void MetricHistory::add_line(std::uint64_t offset, const LineX& x, std::span<const Value> values) {
    std::size_t bucket = line_count_ >> bucket_shift_;
    if (bucket == buckets_.size()) {
        if (buckets_.size() == capacity_) {
            halve();
            bucket = line_count_ >> bucket_shift_;
        }
        if (bucket == buckets_.size()) {
            auto epoch = static_cast<float>(x.epoch);
            buckets_.push_back(Bucket{offset, x.step, x.step, x.time, x.time, epoch, epoch});
            for (auto& column : columns_) column.push_back(Cell{no_value, no_value, true});
        }
    }
    Bucket& current = buckets_[bucket];
    current.last_step = x.step;
    current.last_time = x.time;
    current.last_epoch = static_cast<float>(x.epoch);
    for (const auto& [metric, number] : values) {
        Cell& cell = columns_[metric][bucket];
        float value = static_cast<float>(number);
        // Without branches: whether a noisy value is a new minimum or maximum is unpredictable.
        // An empty cell (NaN) compares false both ways, so `empty` takes the value as both.
        bool empty = std::isnan(cell.minimum);
        bool lower = empty || value < cell.minimum;
        bool higher = empty || value > cell.maximum;
        float minimum = lower ? value : cell.minimum;
        float maximum = higher ? value : cell.maximum;
        // A new minimum alone: the maximum came first; a new maximum (or a first value): not.
        bool minimum_first = (lower && !higher) ? false : higher ? true : cell.minimum_first;
        cell = Cell{minimum, maximum, minimum_first};
        Totals& total = totals_[metric];
        bool first = std::isnan(total.last);
        total.last = number;
        total.minimum = (first || number < total.minimum) ? number : total.minimum;
        total.maximum = (first || number > total.maximum) ? number : total.maximum;
    }
    ++line_count_;
}

std::optional<Series> MetricHistory::series(std::uint32_t metric, XAxis axis, std::size_t max_points) const {
    if (metric >= columns_.size()) return Series{};
    const auto& column = columns_[metric];
    // Enough resolution: exact, or at least as many buckets as the requested min/max groups.
    std::size_t wanted_groups = std::max<std::size_t>(1, max_points / 2);
    if (bucket_shift_ > 0 && buckets_.size() < wanted_groups) return std::nullopt;
    std::vector<Aggregate> aggregates;
    aggregates.reserve(buckets_.size());
    for (std::size_t b = 0; b < buckets_.size(); ++b) {
        const Cell& cell = column[b];
        if (std::isnan(cell.minimum)) continue;
        double first = buckets_[b].first(axis);
        double last = buckets_[b].last(axis);
        if (std::isnan(first) || std::isnan(last)) continue;
        bool minimum_first = cell.minimum_first;
        // Inside a bucket we know the order of minimum and maximum, not their exact x: place the
        // earlier one at the bucket's first x and the later one at its last x.
        Aggregate aggregate{cell.minimum, cell.maximum, minimum_first ? first : last, minimum_first ? last : first,
                            minimum_first};
        if (aggregate.minimum == aggregate.maximum) aggregate.x_of_minimum = aggregate.x_of_maximum = last;
        aggregates.push_back(aggregate);
    }
    return downsample(aggregates, max_points);
}

std::size_t MetricHistory::memory_bytes() const {
    std::size_t bytes = sizeof(*this);
    bytes += buckets_.capacity() * sizeof(Bucket);
    for (const auto& column : columns_) bytes += column.capacity() * sizeof(Cell);
    bytes += totals_.capacity() * sizeof(Totals);
    for (const auto& name : names_) bytes += sizeof(std::string) + name.capacity();
    return bytes;
}

}  // namespace ailab::runs
