#pragma once
// The bounded in-memory history of a run's metrics, plus a sparse offset index into its log.
//
// Valid lines are numbered 0, 1, 2, ... in file order. Line i falls into bucket
// i / lines_per_bucket. Each bucket keeps, for every metric, the minimum and the maximum (as floats,
// with which came first), the x values (step, time, epoch) of its first and last line, and the byte
// offset of its first line. When all `capacity` buckets are full, neighbouring buckets are merged
// and lines_per_bucket doubles, so memory stays bounded (about capacity × (48 + 12 × metrics) bytes)
// however long the log grows. While lines_per_bucket is 1 the history is exact.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ailab::runs {

enum class XAxis { step, time, epoch };

struct LineX {
    double step;   // the "step" field, else the line number
    double time;   // Unix seconds, NaN when the line has no timestamp
    double epoch;  // fractional epoch, NaN when unknown
    double get(XAxis axis) const { return axis == XAxis::step ? step : axis == XAxis::time ? time : epoch; }
};

// A min/max aggregate of a stretch of one series; the unit of downsampling.
struct Aggregate {
    double minimum;
    double maximum;
    double x_of_minimum;
    double x_of_maximum;
    bool minimum_first;  // the minimum occurred before (or together with) the maximum
};

struct Series {
    std::vector<double> x;
    std::vector<double> y;
};

// Merges consecutive aggregates into at most max_points / 2 groups (max_points points when every
// group is a single value) and writes one point per distinct value, in order of occurrence.
Series downsample(std::span<const Aggregate> aggregates, std::size_t max_points);

class MetricHistory {
public:
    static constexpr std::size_t default_capacity = 512;
    explicit MetricHistory(std::size_t capacity = default_capacity);

    void clear();

    // Returns the metric's index, adding the name when it is new. Lines repeat their key order, so
    // the name after the last one found is tried first, inline (the indexer calls this per value).
    std::uint32_t metric_index(std::string_view name) {
        if (name_hint_ < names_.size()) {
            const std::string& known = names_[name_hint_];
            if (known.size() == name.size() && same_bytes(known.data(), name.data(), name.size())) {
                std::uint32_t found = name_hint_;
                name_hint_ = found + 1 < names_.size() ? found + 1 : 0;
                return found;
            }
        }
        return metric_index_search(name);
    }
    const std::vector<std::string>& metric_names() const { return names_; }
    std::optional<std::uint32_t> find_metric(std::string_view name) const;

    // Adds the next valid line. `values` pairs metric indexes with values.
    struct Value {
        std::uint32_t metric;
        double value;
    };
    void add_line(std::uint64_t offset, const LineX& x, std::span<const Value> values);

    std::uint64_t line_count() const { return line_count_; }
    std::uint64_t lines_per_bucket() const { return std::uint64_t{1} << bucket_shift_; }
    std::size_t bucket_count() const { return buckets_.size(); }
    std::size_t capacity() const { return capacity_; }
    // Byte offset of the first line of a bucket (the sparse index into the log).
    std::uint64_t bucket_offset(std::size_t bucket) const { return buckets_[bucket].offset; }

    // The series downsampled to at most max_points, or nullopt when the history holds less
    // resolution than that would need (the caller then reads the log). Unknown metric: empty.
    std::optional<Series> series(std::uint32_t metric, XAxis axis, std::size_t max_points) const;

    std::size_t memory_bytes() const;

    // A metric over every line added: its last value and its extremes (exact, as read). NaN while
    // the metric has no value.
    struct Totals {
        double last = std::nan("");
        double minimum = std::nan("");
        double maximum = std::nan("");
    };
    const std::vector<Totals>& totals() const { return totals_; }  // by metric index

private:
    // Metric names are short: a byte loop beats a call to memcmp.
    static bool same_bytes(const char* a, const char* b, std::size_t size) {
        for (std::size_t i = 0; i < size; ++i) {
            if (a[i] != b[i]) return false;
        }
        return true;
    }
    std::uint32_t metric_index_search(std::string_view name);
    void halve();

    // One metric in one bucket; together so that adding a value touches one cache line.
    struct Cell {
        float minimum;  // NaN: no value in this bucket
        float maximum;
        bool minimum_first;
    };
    using Column = std::vector<Cell>;

    std::size_t capacity_;
    unsigned bucket_shift_ = 0;  // lines per bucket = 2^bucket_shift_
    std::uint64_t line_count_ = 0;
    std::vector<std::string> names_;
    std::uint32_t name_hint_ = 0;  // where the next name lookup starts (lines repeat their key order)
    // Where a bucket starts in the log, and the x values of its first and last line.
    struct Bucket {
        std::uint64_t offset;
        double first_step, last_step;
        double first_time, last_time;
        float first_epoch, last_epoch;
        double first(XAxis axis) const {
            return axis == XAxis::step ? first_step : axis == XAxis::time ? first_time : first_epoch;
        }
        double last(XAxis axis) const {
            return axis == XAxis::step ? last_step : axis == XAxis::time ? last_time : last_epoch;
        }
    };
    std::vector<Bucket> buckets_;
    std::vector<Column> columns_;  // per metric, one cell per bucket
    std::vector<Totals> totals_;   // per metric
};

}  // namespace ailab::runs
