#pragma once
// The runs feature behind the seam of net/feature.hpp: reads its config keys (runs/settings.hpp),
// owns the RunService, declares the WebSocket topic "runs", registers the routes of docs/API.md
// "Runs" and the ailab_runs{state} family of GET /metrics. start() runs the cold start and starts the worker; stop()
// joins it.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "net/feature.hpp"
#include "runs/settings.hpp"

namespace ailab::runs {

class AnnotationStore;
class RunService;

class RunsFeature final : public net::Feature {
public:
    // Reads the runs keys from context.settings (ConfigError on a bad value) and registers on
    // context.router and context.metrics; the router and the metrics list must not outlive this.
    explicit RunsFeature(net::FeatureContext& context);
    ~RunsFeature() override;

    std::string_view name() const override { return "runs"; }
    void start() override;
    void stop() override;

    RunService& service() { return *service_; }

private:
    Settings settings_;
    std::unique_ptr<RunService> service_;
    std::unique_ptr<AnnotationStore> annotations_;  // <queue>/runs.db
};

std::unique_ptr<net::Feature> make_feature(net::FeatureContext& context);

// Appends the Prometheus family "ailab_runs" (a gauge per state, # HELP and # TYPE first; nothing
// for an empty map), exactly as GET /metrics has always written it.
void write_run_state_metrics(std::string& out, const std::map<std::string, std::size_t>& counts);

}  // namespace ailab::runs
