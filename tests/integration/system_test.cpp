// The real binary's system API on loopback: GET /api/v1/system against the real /proc, /metrics
// and its token rule, system.sample over the WebSocket, cluster mode, and the fake NVML found by the
// server's own dlopen("libnvidia-ml.so.1") through LD_LIBRARY_PATH.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "harness.hpp"

using namespace ailab::testing;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::size_t proc_stat_cores() {
    std::istringstream in(read_file("/proc/stat"));
    std::string line;
    std::size_t cores = 0;
    while (std::getline(in, line) && line.rfind("cpu", 0) == 0) {
        if (line.size() > 3 && line[3] != ' ') ++cores;
    }
    return cores;
}

// Sets an environment variable for the child processes started while it lives.
class ScopedEnvironment {
public:
    ScopedEnvironment(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnvironment() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

// The fake libnvidia-ml.so.1 that tests/unit/system builds, beside the binary under test.
std::filesystem::path fake_nvml_folder() {
    return std::filesystem::path(AILAB_BINARY).parent_path() / "tests" / "unit" / "system" / "fake_nvml";
}

}  // namespace

TEST(System, ReportsThisMachine) {
    ServerProcess server({{"sample_interval_ms", 100}});
    server.start();
    const auto token = server.login();
    const auto result = server.get("/api/v1/system", token);
    ASSERT_EQ(result.status, 200) << result.body;
    const auto system = result.json().as_object();
    EXPECT_EQ(system.at("cluster").as_bool(), false);
    EXPECT_EQ(system.at("cpu").at("cores").as_array().size(), proc_stat_cores());
    EXPECT_EQ(system.at("cpu").at("load").as_array().size(), 3u);
    const double percent = system.at("memory").at("percent").to_number<double>();
    EXPECT_GT(percent, 0.0);
    EXPECT_LE(percent, 100.0);
    EXPECT_GT(system.at("memory").at("total_bytes").to_number<std::uint64_t>(), 0u);
    const auto& disks = system.at("disks").as_array();
    ASSERT_EQ(disks.size(), 3u);
    EXPECT_EQ(disks[0].at("role").as_string(), "results");
    EXPECT_EQ(disks[0].at("path").as_string(), server.results().string());
    EXPECT_EQ(disks[2].at("role").as_string(), "queue");
    EXPECT_EQ(disks[2].at("path").as_string(), server.state().string());
    EXPECT_GT(disks[0].at("total_bytes").to_number<std::uint64_t>(), 0u);
    // Whatever this machine has, the status is one of the documented ones and the server runs.
    const std::string status(system.at("gpu_status").as_string());
    EXPECT_TRUE(status == "ok" || status == "no library" || status == "no devices" || status.rfind("error: ", 0) == 0)
        << status;
    if (status != "ok") {
        EXPECT_TRUE(system.at("gpus").as_array().empty());
    }

    const auto bad = server.get("/api/v1/system/history?range=2h", token);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.json().at("error").as_string(), "range must be 1h or 24h");
    const auto history = server.get("/api/v1/system/history?range=1h", token);
    ASSERT_EQ(history.status, 200);
    EXPECT_GE(history.json().at("samples").as_array().size(), 1u);
}

TEST(System, MetricsNeedTheTokenUnlessPublic) {
    ServerProcess server;
    server.start();
    const auto token = server.login();
    EXPECT_EQ(server.get("/metrics").status, 401);
    const auto metrics = server.get("/metrics", token);
    ASSERT_EQ(metrics.status, 200);
    EXPECT_EQ(metrics.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(metrics.body.find("# TYPE ailab_cpu_utilization_ratio gauge\n"), std::string::npos) << metrics.body;
    EXPECT_NE(metrics.body.find("\nailab_memory_used_bytes "), std::string::npos);

    ServerProcess open({{"metrics_public", true}});
    open.start();
    const auto public_metrics = open.get("/metrics");
    EXPECT_EQ(public_metrics.status, 200);
    EXPECT_NE(public_metrics.body.find("\nailab_memory_used_bytes "), std::string::npos);
    EXPECT_EQ(open.get("/api/v1/system").status, 401);  // only /metrics opens
}

TEST(System, SamplesArriveOverTheWebSocket) {
    ServerProcess server({{"sample_interval_ms", 100}});
    server.start();
    const auto token = server.login();
    WsClient client;
    ASSERT_EQ(client.connect(server.port()), "");
    ASSERT_TRUE(client.authenticate(token));
    ASSERT_TRUE(client.subscribe({"system"}));
    const auto first = client.read_type("system.sample", std::chrono::seconds(5));
    ASSERT_TRUE(first);
    const auto second = client.read_type("system.sample", std::chrono::seconds(5));
    ASSERT_TRUE(second);
    EXPECT_EQ(first->at("cluster").as_bool(), false);
    EXPECT_TRUE(first->contains("cpu"));
    EXPECT_TRUE(first->contains("memory"));
    EXPECT_TRUE(first->contains("gpu_status"));
    EXPECT_GT(second->at("time").to_number<double>(), first->at("time").to_number<double>());
}

TEST(System, ClusterModeSamplesNothing) {
    ServerProcess server({{"cluster", true}});
    server.start();
    const auto token = server.login();
    const auto result = server.get("/api/v1/system", token);
    ASSERT_EQ(result.status, 200);
    EXPECT_EQ(result.body, R"({"cluster":true,"gpu_status":"disabled"})");
}

TEST(System, FindsNvmlByItsSonameAndOrdersGpusByBusId) {
    const auto folder = fake_nvml_folder();
    if (!std::filesystem::exists(folder / "libnvidia-ml.so.1"))
        GTEST_SKIP() << "the fake NVML is not built: " << folder;
    std::optional<ServerProcess> server;
    {
        // The server's dlopen("libnvidia-ml.so.1") searches LD_LIBRARY_PATH first.
        ScopedEnvironment library_path("LD_LIBRARY_PATH", folder.string());
        ScopedEnvironment scenario("AILAB_FAKE_NVML_SCENARIO", "one_lost");
        server.emplace(boost::json::object{{"gpus", boost::json::array{0, 1}}});
        server->start();
    }
    const auto token = server->login();
    const auto result = server->get("/api/v1/system", token);
    ASSERT_EQ(result.status, 200) << result.body;
    const auto system = result.json().as_object();
    EXPECT_EQ(system.at("gpu_status").as_string(), "ok");
    const auto& gpus = system.at("gpus").as_array();
    ASSERT_EQ(gpus.size(), 2u);
    EXPECT_EQ(gpus[0].at("uuid").as_string(), "GPU-fake-a");  // bus 41 before bus C1
    EXPECT_TRUE(gpus[0].at("error").is_null());
    EXPECT_EQ(gpus[0].at("processes").as_array().size(), 1u);
    EXPECT_EQ(gpus[1].at("uuid").as_string(), "GPU-fake-b");
    EXPECT_EQ(gpus[1].at("error").as_string(), "GPU is lost");
    const auto metrics = server->get("/metrics", token);
    EXPECT_NE(metrics.body.find("\nailab_gpu_utilization_ratio{gpu=\"0\"} 0.35\n"), std::string::npos) << metrics.body;
    EXPECT_NE(metrics.body.find("\nailab_gpu_error{gpu=\"1\"} 1\n"), std::string::npos);
    EXPECT_NE(server->output().find("GPU 1: GPU is lost"), std::string::npos) << server->output();
}
