#pragma once
// Folds the records a RunReader hands over into a run's fold, metric history, pending points,
// images and format params (the worker's hot path, and the cold start of format runs). Holds the
// run's lock for one batch of records at a time, never during I/O.

#include <cstdint>
#include <vector>

#include "runs/format.hpp"
#include "runs/tracked.hpp"

namespace ailab::runs {

enum class PointCollection { collect, skip };

class RunSink final : public RecordSink {
public:
    RunSink(Run& run, PointCollection points) : run_(run), collect_points_(points == PointCollection::collect) {}

    void reset() override;
    void begin_batch() override { lock_ = std::unique_lock(run_.mutex); }
    void end_batch() override { lock_.unlock(); }
    void record(const ParsedLine& values, std::uint64_t position) override;
    void bad_record() override;
    void format_params(const boost::json::object& params) override;
    void image(RunImage image) override;

    // Records and bad records seen (a change to publish when > 0).
    std::uint64_t records() const { return records_; }
    bool params_changed() const { return params_changed_; }

private:
    // The lock, unless a batch holds it already (format_params and image may come outside one).
    std::unique_lock<std::mutex> lock_unless_batch();

    Run& run_;
    bool collect_points_;
    std::unique_lock<std::mutex> lock_;
    std::vector<MetricHistory::Value> values_;
    std::uint64_t records_ = 0;
    bool params_changed_ = false;
};

}  // namespace ailab::runs
