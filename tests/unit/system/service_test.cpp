// The service and its routes, through Router::dispatch: shapes, errors, cluster mode, /metrics
// access, the sampler thread, history and WebSocket publishing.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <mutex>
#include <thread>

#include "core/config_reader.hpp"
#include "net/hub.hpp"
#include "net/router.hpp"
#include "support.hpp"
#include "system/routes.hpp"
#include "system/service.hpp"
#include "system/settings.hpp"

namespace ailab::sys {
namespace {

using namespace std::chrono_literals;
using testing::fake_nvml_path;
using testing::FakeNvml;
using testing::fixtures;
using testing::TempDir;

constexpr const char* good_token = "good-token";

class RecordingClient : public net::HubClient {
public:
    void deliver(net::SharedMessage message) override {
        std::lock_guard lock(mutex_);
        messages_.push_back(*message);
    }
    std::vector<std::string> messages() const {
        std::lock_guard lock(mutex_);
        return messages_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> messages_;
};

class SystemRoutes : public ::testing::Test {
protected:
    void SetUp() override {
        FakeNvml::instance().set_scenario("two_gpus");
        config_.results = folder_.path();
        config_.workspace = folder_.path();
        config_.queue = folder_.path();
        settings_.sample_interval = 20ms;
    }
    void TearDown() override { FakeNvml::instance().set_scenario(""); }

    std::unique_ptr<SystemService> make_service() {
        return std::make_unique<SystemService>(
            config_, settings_, hub_, SamplerSources{.proc_root = fixtures() / "many_cores", .nvml_library = fake_nvml_path()});
    }

    net::Response get(const net::Router& router, const std::string& path, std::map<std::string, std::string> query = {},
                      bool with_token = true) {
        net::Request request;
        request.method = net::Method::get;
        request.path = path;
        request.query = std::move(query);
        if (with_token) request.headers.emplace_back("authorization", std::string("Bearer ") + good_token);
        return router.dispatch(request, [](std::string_view token) -> std::optional<std::string> {
            if (token == good_token) return "admin";
            return std::nullopt;
        });
    }

    static boost::json::object body(const net::Response& response) {
        return boost::json::parse(response.body).as_object();
    }

    TempDir folder_;
    core::Config config_;
    Settings settings_;
    const std::vector<net::MetricsWriter> no_writers_;
    net::Hub hub_;
};

TEST_F(SystemRoutes, SystemAnswersTheDocumentedShape) {
    auto service = make_service();
    service->start();
    net::Router router;
    register_system_routes(router, *service, settings_, no_writers_);
    const net::Response response = get(router, "/api/v1/system");
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.content_type, "application/json");
    const auto object = body(response);
    EXPECT_EQ(object.at("cluster"), false);
    EXPECT_TRUE(object.at("time").is_double());
    const auto& cpu = object.at("cpu").as_object();
    EXPECT_EQ(cpu.at("cores").as_array().size(), 128u);
    EXPECT_EQ(cpu.at("load").as_array().size(), 3u);
    EXPECT_TRUE(cpu.at("percent").is_number());
    const auto& memory = object.at("memory").as_object();
    for (const char* key :
         {"total_bytes", "used_bytes", "available_bytes", "percent", "swap_total_bytes", "swap_used_bytes"}) {
        EXPECT_TRUE(memory.contains(key)) << key;
    }
    EXPECT_EQ(memory.at("total_bytes").to_number<std::uint64_t>(), 528280576ull * 1024);
    const auto& disks = object.at("disks").as_array();
    ASSERT_EQ(disks.size(), 3u);
    EXPECT_EQ(disks[0].at("role"), "results");
    EXPECT_EQ(disks[2].at("role"), "queue");
    EXPECT_EQ(disks[0].at("path").as_string(), folder_.path().string());
    EXPECT_GT(disks[0].at("total_bytes").to_number<std::uint64_t>(), 0u);
    EXPECT_EQ(object.at("gpu_status"), "ok");
    const auto& gpus = object.at("gpus").as_array();
    ASSERT_EQ(gpus.size(), 2u);
    const auto& gpu = gpus[0].as_object();
    EXPECT_EQ(gpu.at("id"), 0);
    EXPECT_EQ(gpu.at("name"), "Fake GPU A");
    EXPECT_EQ(gpu.at("uuid"), "GPU-fake-a");
    EXPECT_EQ(gpu.at("utilization").to_number<double>(), 35.0);
    EXPECT_EQ(gpu.at("memory_total_bytes").to_number<std::uint64_t>(), 80ull << 30);
    EXPECT_EQ(gpu.at("temperature_c"), 40);
    EXPECT_EQ(gpu.at("power_w").to_number<double>(), 120.5);
    EXPECT_EQ(gpu.at("power_limit_w").to_number<double>(), 700.0);
    EXPECT_TRUE(gpu.at("error").is_null());
    const auto& process = gpu.at("processes").as_array().at(0).as_object();
    EXPECT_EQ(process.at("pid"), 4242);
    EXPECT_EQ(process.at("user"), "root");
    EXPECT_EQ(process.at("command"), "python train.py --lr 0.1");
    EXPECT_EQ(process.at("memory_bytes").to_number<std::uint64_t>(), 8ull << 30);
    EXPECT_TRUE(gpus[1].at("power_w").is_null());  // not supported on that GPU
}

TEST_F(SystemRoutes, NeedsTheToken) {
    auto service = make_service();
    net::Router router;
    register_system_routes(router, *service, settings_, no_writers_);
    EXPECT_EQ(get(router, "/api/v1/system", {}, false).status, 401);
    EXPECT_EQ(get(router, "/api/v1/system/history", {}, false).status, 401);
    EXPECT_EQ(get(router, "/metrics", {}, false).status, 401);
    for (const auto& route : router.routes()) EXPECT_EQ(route.access, net::Access::token_required) << route.pattern;
}

TEST_F(SystemRoutes, MetricsArePublicWhenConfigured) {
    settings_.metrics_public = true;
    auto service = make_service();
    service->start();
    net::Router router;
    const std::vector<net::MetricsWriter> writers{[](std::string& out) { out += "ailab_other_feature 3\n"; }};
    register_system_routes(router, *service, settings_, writers);
    const net::Response response = get(router, "/metrics", {}, false);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
    // Other features' families follow the system's own.
    EXPECT_NE(response.body.find("\nailab_other_feature 3\n"), std::string::npos) << response.body;
    EXPECT_NE(response.body.find("\nailab_gpu_utilization_ratio{gpu=\"0\"} 0.35\n"), std::string::npos);
    EXPECT_EQ(get(router, "/api/v1/system", {}, false).status, 401);  // only /metrics is opened
}

TEST_F(SystemRoutes, BeforeTheFirstSampleTheAnswerIs503) {
    auto service = make_service();  // not started
    net::Router router;
    register_system_routes(router, *service, settings_, no_writers_);
    const net::Response response = get(router, "/api/v1/system");
    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(body(response).at("error"), "no system sample yet");
}

TEST_F(SystemRoutes, HistoryRanges) {
    auto service = make_service();
    service->start();
    service->sample_now();
    net::Router router;
    register_system_routes(router, *service, settings_, no_writers_);

    const net::Response hour = get(router, "/api/v1/system/history", {{"range", "1h"}});
    ASSERT_EQ(hour.status, 200) << hour.body;
    const auto hour_object = body(hour);
    EXPECT_EQ(hour_object.at("range"), "1h");
    EXPECT_EQ(hour_object.at("interval_s").to_number<double>(), 0.02);
    const auto& samples = hour_object.at("samples").as_array();
    ASSERT_GE(samples.size(), 2u);
    const auto& point = samples[0].as_object();
    EXPECT_TRUE(point.at("time").is_number());
    EXPECT_TRUE(point.at("cpu_percent").is_number());
    EXPECT_TRUE(point.at("memory_percent").is_number());
    ASSERT_EQ(point.at("gpus").as_array().size(), 2u);
    EXPECT_EQ(point.at("gpus").as_array()[0].at("id"), 0);
    EXPECT_EQ(point.at("gpus").as_array()[0].at("utilization").to_number<double>(), 35.0);
    EXPECT_EQ(point.at("gpus").as_array()[0].at("memory_used_bytes").to_number<std::uint64_t>(), 10ull << 30);

    EXPECT_EQ(get(router, "/api/v1/system/history").status, 200);  // 1h by default
    const net::Response day = get(router, "/api/v1/system/history", {{"range", "24h"}});
    ASSERT_EQ(day.status, 200);
    EXPECT_EQ(body(day).at("range"), "24h");
    EXPECT_EQ(body(day).at("interval_s").to_number<double>(), 60.0);

    const net::Response bad = get(router, "/api/v1/system/history", {{"range", "7d"}});
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(body(bad).at("error"), "range must be 1h or 24h");
}

TEST_F(SystemRoutes, ClusterModeSamplesNothing) {
    config_.cluster = true;
    const int inits = FakeNvml::instance().init_count();
    auto service = make_service();
    service->start();
    net::Router router;
    register_system_routes(router, *service, settings_, no_writers_);
    const net::Response response = get(router, "/api/v1/system");
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body, R"({"cluster":true,"gpu_status":"disabled"})");
    EXPECT_FALSE(service->latest().has_value());
    EXPECT_EQ(FakeNvml::instance().init_count(), inits);  // NVML never touched
    const net::Response history = get(router, "/api/v1/system/history", {{"range", "24h"}});
    EXPECT_EQ(history.status, 200);
    EXPECT_TRUE(body(history).at("samples").as_array().empty());
    const net::Response metrics = get(router, "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_EQ(metrics.body.find("ailab_cpu"), std::string::npos);
}

TEST_F(SystemRoutes, SamplerThreadPublishesOnlyWhenSomeoneListens) {
    auto service = make_service();
    auto client = std::make_shared<RecordingClient>();
    service->start();
    std::this_thread::sleep_for(100ms);
    EXPECT_GE(service->stats().samples, 2u);  // the thread runs...
    EXPECT_TRUE(client->messages().empty());  // ...and nobody is subscribed yet

    hub_.subscribe(client, "system");
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (client->messages().size() < 2 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    service->stop();
    const auto messages = client->messages();
    ASSERT_GE(messages.size(), 2u);
    const auto message = boost::json::parse(messages.back()).as_object();
    EXPECT_EQ(message.at("type"), "system.sample");
    EXPECT_EQ(message.at("cluster"), false);
    EXPECT_EQ(message.at("gpus").as_array().size(), 2u);
    EXPECT_EQ(message.at("cpu").at("cores").as_array().size(), 128u);

    const std::size_t after_stop = service->stats().samples;
    std::this_thread::sleep_for(60ms);
    EXPECT_EQ(service->stats().samples, after_stop);  // stopped means stopped
    EXPECT_GT(service->stats().cpu_seconds, 0.0);
}

TEST_F(SystemRoutes, NvmlInitialisedOnceAndShutDownAtStop) {
    const int inits = FakeNvml::instance().init_count();
    const int shutdowns = FakeNvml::instance().shutdown_count();
    auto service = make_service();
    service->start();
    std::this_thread::sleep_for(80ms);
    EXPECT_EQ(FakeNvml::instance().init_count(), inits + 1);
    EXPECT_EQ(FakeNvml::instance().shutdown_count(), shutdowns);
    service->stop();
    EXPECT_EQ(FakeNvml::instance().shutdown_count(), shutdowns + 1);
    service.reset();  // the destructor's stop() does not shut down twice
    EXPECT_EQ(FakeNvml::instance().shutdown_count(), shutdowns + 1);
}

TEST_F(SystemRoutes, ReadersAndTheSamplerRunTogether) {
    auto service = make_service();
    service->start();
    net::Router router;
    register_system_routes(router, *service, settings_, no_writers_);
    std::atomic<int> failures{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 2; ++t) {
        readers.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                if (get(router, "/api/v1/system").status != 200) ++failures;
                if (get(router, "/api/v1/system/history", {{"range", "1h"}}).status != 200) ++failures;
                if (get(router, "/metrics").status != 200) ++failures;
            }
        });
    }
    for (auto& reader : readers) reader.join();
    EXPECT_EQ(failures.load(), 0);
}

TEST_F(SystemRoutes, WithoutTheLibraryTheServiceRunsAndSaysSo) {
    SystemService service(
        config_, settings_, hub_,
        SamplerSources{.proc_root = fixtures() / "two_cores", .nvml_library = "/nonexistent/libnvidia-ml.so.1"});
    service.start();
    const auto sample = service.latest();
    ASSERT_TRUE(sample.has_value());
    EXPECT_EQ(sample->gpu_status, GpuStatus::no_library);
    EXPECT_EQ(gpu_status_text(*sample), "no library");
    EXPECT_TRUE(sample->gpus.empty());
    EXPECT_EQ(sample->cpu.cores_percent.size(), 2u);
}

}  // namespace
TEST(SystemSettings, ReadsItsKeysAndNamesTheKeyOnError) {
    auto reader_of = [](boost::json::object object) {
        return core::ConfigReader(std::move(object), "config.json", [](const std::string&) { return std::nullopt; });
    };
    auto reader = reader_of({{"sample_interval_ms", 250}, {"metrics_public", true}});
    const auto settings = Settings::read(&reader);
    EXPECT_EQ(settings.sample_interval, std::chrono::milliseconds(250));
    EXPECT_TRUE(settings.metrics_public);
    EXPECT_TRUE(reader.unread_keys().empty());
    EXPECT_EQ(Settings::read(nullptr).sample_interval, std::chrono::milliseconds(1000));
    auto bad = reader_of({{"sample_interval_ms", 5}});
    try {
        Settings::read(&bad);
        FAIL() << "no error for 5 ms";
    } catch (const core::ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("\"sample_interval_ms\""), std::string::npos) << error.what();
    }
}

}  // namespace ailab::sys
