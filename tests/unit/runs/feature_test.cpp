// The runs feature behind the seam: its config keys, its routes, and the ailab_runs family it adds
// to GET /metrics (byte for byte what system/prometheus.cpp wrote before).
#include "runs/feature.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>

#include "core/config.hpp"
#include "core/config_reader.hpp"
#include "net/hub.hpp"
#include "net/router.hpp"
#include "net/websocket_endpoint.hpp"
#include "runs/discovery.hpp"
#include "runs/service.hpp"
#include "test_util.hpp"

namespace ailab::runs {
namespace {

using namespace std::chrono_literals;
using testing::log_line;
using testing::TempFolder;
using testing::unix_now;
using testing::write_file;

struct Context {
    explicit Context(boost::json::object keys)
        : reader(std::move(keys), "config.json",
                 [](const std::string&) -> std::optional<std::string> { return std::nullopt; }) {
        config.results = folder.path() / "results";
        config.queue = folder.path() / "state";
        std::filesystem::create_directories(config.results);
    }
    net::FeatureContext context() {
        return net::FeatureContext{config, reader, router, hub, websockets, metrics, verify_token};
    }

    TempFolder folder;
    core::Config config;
    core::ConfigReader reader;
    net::Router router;
    net::Hub hub;
    net::WebSocketRegistry websockets;
    std::vector<net::MetricsWriter> metrics;
    net::TokenVerifier verify_token;
};

TEST(RunsFeature, RegistersItsRoutesAndMetricsAndReportsRunStates) {
    Context setup({{"dead_after_minutes", 60}, {"poll_interval_ms", 100}});
    write_file(setup.folder.path() / "results/p/live/ailab.log", log_line(unix_now() - 60, "train 1/10", 0.1, 1.0, 0));
    write_file(setup.folder.path() / "results/p/old/ailab.log",
               log_line(unix_now() - 2 * 3600, "train 1/10", 0.1, 1.0, 0));
    auto context = setup.context();
    auto feature = make_feature(context);
    EXPECT_EQ(feature->name(), "runs");

    std::vector<std::string> patterns;
    for (const auto& route : setup.router.routes()) patterns.push_back(route.pattern);
    for (const char* pattern : {"/api/v1/runs", "/api/v1/runs/{id}", "/api/v1/runs/{id}/metrics",
                                "/api/v1/runs/{id}/export", "/api/v1/runs/cleanup", "/api/v1/runs/restore"})
        EXPECT_NE(std::find(patterns.begin(), patterns.end(), pattern), patterns.end()) << pattern;
    ASSERT_EQ(setup.metrics.size(), 1u);
    EXPECT_TRUE(setup.hub.is_topic("runs"));

    feature->start();
    std::string out = "# before\n";
    setup.metrics[0](out);
    // 2 hours silent with dead_after_minutes 60: dead (with the default 90 it would be too).
    EXPECT_EQ(out,
              "# before\n"
              "# HELP ailab_runs Runs by state.\n"
              "# TYPE ailab_runs gauge\n"
              "ailab_runs{state=\"dead\"} 1\n"
              "ailab_runs{state=\"done\"} 0\n"
              "ailab_runs{state=\"empty\"} 0\n"
              "ailab_runs{state=\"failed\"} 0\n"
              "ailab_runs{state=\"idle\"} 0\n"
              "ailab_runs{state=\"paused\"} 0\n"
              "ailab_runs{state=\"running\"} 1\n"
              "ailab_runs{state=\"unreadable\"} 0\n"
              "ailab_runs{state=\"waiting\"} 0\n");
    feature->stop();
    feature->stop();  // twice is fine
}

TEST(RunsFeature, DeadAfterComesFromTheConfigKey) {
    Context setup({{"dead_after_minutes", 1}});
    write_file(setup.folder.path() / "results/r/ailab.log", log_line(unix_now() - 300, "train 1/10", 0.1, 1.0, 0));
    auto context = setup.context();
    RunsFeature feature(context);
    feature.start();
    auto summary = feature.service().summary(run_id("r"));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->state, RunState::dead);  // 5 minutes silent, 1 allowed
}

TEST(RunsFeature, ABadKeyStopsConstructionWithTheKeyNamed) {
    Context setup({{"discovery_depth", 0}});
    auto context = setup.context();
    try {
        RunsFeature feature(context);
        FAIL() << "expected a ConfigError";
    } catch (const core::ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("\"discovery_depth\""), std::string::npos);
    }
    EXPECT_TRUE(setup.router.routes().empty());
    EXPECT_TRUE(setup.metrics.empty());
}

TEST(RunsFeature, EmptyCountsWriteNoFamily) {
    std::string out;
    write_run_state_metrics(out, {});
    EXPECT_EQ(out, "");
    write_run_state_metrics(out, {{"we\"ird\\", 3}});
    EXPECT_EQ(out,
              "# HELP ailab_runs Runs by state.\n# TYPE ailab_runs gauge\nailab_runs{state=\"we\\\"ird\\\\\"} 3\n");
}

}  // namespace
}  // namespace ailab::runs
