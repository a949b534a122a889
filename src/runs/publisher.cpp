#include "runs/publisher.hpp"

#include "net/hub.hpp"

namespace ailab::runs {

Publisher::Publisher(net::Hub& hub, StateTimes times) : hub_(hub), times_(times) {}

bool Publisher::listening() const { return hub_.subscriber_count(runs_topic) > 0; }

void Publisher::added(const RunPointer& run) {
    run->announce = true;
    added_.push_back(run);
}

void Publisher::changed(const RunPointer& run) {
    if (run->changed || run->announce) return;
    run->changed = true;
    changed_.push_back(run);
}

void Publisher::removed(Run& run) {
    if (run.announce) {
        run.announce = false;  // never announced: nothing to take back
        return;
    }
    removed_.push_back(run.id);
}

void Publisher::params_changed(const Run& run) { params_[run.id] = run.params; }

void Publisher::flush(FlushTiming timing) {
    if (!pending()) return;
    auto now = Clock::now();
    if (timing == FlushTiming::when_due && now < due()) return;  // the worker wakes up at due()
    last_flush_ = now;
    bool listening = this->listening();
    double wall = unix_now();
    std::vector<std::string> events;
    for (const auto& id : removed_) {
        if (listening) events.push_back(removed_event(id));
    }
    for (const auto& run : added_) {
        if (run->removed || !run->announce) continue;
        run->announce = false;
        run->pending_points.clear();
        auto summary = make_summary(*run, wall, times_);
        run->last_state = summary.state;
        if (listening) events.push_back(added_event(summary));
        run->published = std::move(summary);
    }
    for (const auto& run : changed_) {
        run->changed = false;
        if (run->removed) continue;
        if (listening) {
            auto summary = make_summary(*run, wall, times_);
            run->last_state = summary.state;
            if (!run->published) run->published = RunSummary{};
            if (auto event = updated_event(*run->published, summary)) events.push_back(std::move(*event));
            // Read whole for the first time: last / min / max of every metric are known now.
            if (!run->published->lines && summary.lines)
                events.push_back(values_event(run->id, run->history.metric_names(), run->history.totals()));
            if (!run->pending_points.empty()) {
                std::vector<PointValues> points;
                points.reserve(run->pending_points.size());
                for (const auto& point : run->pending_points)
                    points.push_back(PointValues{point.step, point.time, point.epoch, point.values});
                events.push_back(points_event(run->id, points, run->history.metric_names()));
            }
            run->published = std::move(summary);
        }
        run->pending_points.clear();
    }
    for (const auto& [id, params] : params_) {
        if (listening) events.push_back(params_event(id, params));
    }
    if (events.size() == 1) {
        hub_.publish(runs_topic, std::move(events.front()));
    } else if (!events.empty()) {
        std::size_t size = 40;
        for (const auto& event : events) size += event.size() + 1;
        std::string batch;
        batch.reserve(size);
        batch += R"({"type":"runs.batch","events":[)";
        for (std::size_t i = 0; i < events.size(); ++i) {
            if (i) batch += ',';
            batch += events[i];
        }
        batch += "]}";
        hub_.publish(runs_topic, std::move(batch));
    }
    added_.clear();
    changed_.clear();
    removed_.clear();
    params_.clear();
}

}  // namespace ailab::runs
