#include "runs/run_sink.hpp"

#include "runs/publisher.hpp"

namespace ailab::runs {

std::unique_lock<std::mutex> RunSink::lock_unless_batch() {
    if (lock_.owns_lock()) return {};
    return std::unique_lock(run_.mutex);
}

void RunSink::reset() {
    auto lock = lock_unless_batch();
    bool was_read = run_.ever_read;
    run_.fold.reset();
    run_.history.clear();
    run_.indexed = false;
    run_.indexed_offset = 0;
    run_.pending_points.clear();
    run_.images.clear();
    run_.images_truncated = false;
    if (was_read) {
        // Replaced, truncated, or steps went back: what follows is new to every client.
        run_.cold.reset();
        run_.cold_metrics.clear();
        run_.points_from_offset = 0;
    }
    run_.ever_read = true;
}

void RunSink::record(const ParsedLine& values, std::uint64_t position) {
    auto lock = lock_unless_batch();
    ++records_;
    LineX x = run_.fold.add(values);
    values_.clear();
    for (const auto& metric : values.metrics)
        values_.push_back(MetricHistory::Value{run_.history.metric_index(metric.name), metric.value});
    run_.history.add_line(position, x, values_);
    if (collect_points_ && position >= run_.points_from_offset && run_.pending_points.size() < max_pending_points)
        run_.pending_points.push_back(PendingPoint{x.step, x.time, x.epoch, values_});
}

void RunSink::bad_record() {
    auto lock = lock_unless_batch();
    ++records_;
    run_.fold.add_bad_line();
}

void RunSink::format_params(const boost::json::object& params) {
    if (params == run_.format_params) return;
    auto lock = lock_unless_batch();
    run_.format_params = params;
    ++run_.format_params_version;
    params_changed_ = true;
}

void RunSink::image(RunImage image) {
    auto lock = lock_unless_batch();
    if (run_.images.size() >= max_run_images) {
        run_.images_truncated = true;
        return;
    }
    run_.images.push_back(std::move(image));
}

}  // namespace ailab::runs
