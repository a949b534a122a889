// The runs module end to end: the real binary on a generated results folder; appended lines are
// seen through GET /api/v1/runs and through the WebSocket (runs.updated / runs.points).

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "harness.hpp"

namespace ailab::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string local_timestamp(std::chrono::system_clock::time_point when) {
    auto seconds = std::chrono::system_clock::to_time_t(when);
    std::tm local{};
    localtime_r(&seconds, &local);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    return text;
}

std::string line(int step, const std::string& goal, double progress, double loss) {
    return "{\"timestamp\": \"" + local_timestamp(std::chrono::system_clock::now()) + "\", \"goal\": \"" + goal +
           "\", \"progress\": " + std::to_string(progress) + ", \"loss\": " + std::to_string(loss) +
           ", \"step\": " + std::to_string(step) + "}\n";
}

void append(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::app);
    out << text;
}

const boost::json::object* find_run(const boost::json::value& runs, const std::string& path) {
    for (const auto& run : runs.at("runs").as_array()) {
        if (run.at("path").as_string() == path) return &run.as_object();
    }
    return nullptr;
}

TEST(RunsIntegration, AppendedLinesReachTheApiAndTheWebSocket) {
    ServerProcess server;
    auto log = server.results() / "project" / "run_a" / "ailab.log";
    fs::create_directories(log.parent_path());
    for (int step = 0; step < 20; ++step) append(log, line(step, "train 1/4", step / 80.0, 1.0 / (step + 1)));
    fs::create_directories(server.results() / "project" / "old");
    append(server.results() / "project" / "old" / "ailab.log",
           "{\"timestamp\": \"2020-01-01 00:00:00\", \"goal\": \"done\", \"progress\": 1.0}\n");
    server.start();
    auto token = server.login();

    auto listed = server.get("/api/v1/runs", token);
    ASSERT_EQ(listed.status, 200) << listed.body;
    auto runs = listed.json();
    ASSERT_EQ(runs.at("runs").as_array().size(), 2u);
    const auto* run = find_run(runs, "project/run_a");
    ASSERT_NE(run, nullptr);
    EXPECT_EQ(run->at("state").as_string(), "running");
    EXPECT_EQ(find_run(runs, "project/old")->at("state").as_string(), "done");
    std::string id(run->at("id").as_string());
    EXPECT_EQ(server.get("/api/v1/runs", "").status, 401);

    WsClient ws;
    ASSERT_EQ(ws.connect(server.port()), "");
    ASSERT_TRUE(ws.authenticate(token));
    ASSERT_TRUE(ws.subscribe({"runs"}));

    append(log, line(20, "val 2/4", 0.5, 0.01));
    auto updated = ws.read_type("runs.updated", 5s);
    ASSERT_TRUE(updated) << "no runs.updated";
    EXPECT_EQ(updated->at("id").as_string(), id);
    EXPECT_EQ(updated->at("changes").at("phase").as_string(), "val");
    auto points = ws.read_type("runs.points", 5s);
    ASSERT_TRUE(points) << "no runs.points";
    EXPECT_EQ(points->at("id").as_string(), id);
    const auto& point = points->at("points").as_array().back().as_object();
    EXPECT_EQ(point.at("step").to_number<double>(), 20.0);
    EXPECT_NEAR(point.at("values").at("loss").to_number<double>(), 0.01, 1e-9);

    auto detail = server.get("/api/v1/runs/" + id, token);
    ASSERT_EQ(detail.status, 200);
    EXPECT_EQ(detail.json().at("lines").as_int64(), 21);
    EXPECT_EQ(detail.json().at("epoch").as_int64(), 2);

    auto metrics = server.get("/api/v1/runs/" + id + "/metrics?keys=loss&max_points=100", token);
    ASSERT_EQ(metrics.status, 200);
    EXPECT_EQ(metrics.json().at("series").at("loss").at("y").as_array().size(), 21u);

    // A new run appears while the server runs.
    auto second = server.results() / "project" / "run_b" / "ailab.log";
    fs::create_directories(second.parent_path());
    append(second, line(0, "warmup", 0.0, 2.0));
    auto added = ws.read_type("runs.added", 5s);
    ASSERT_TRUE(added) << "no runs.added";
    EXPECT_EQ(added->at("run").at("path").as_string(), "project/run_b");
    EXPECT_EQ(server.get("/api/v1/runs", token).json().at("runs").as_array().size(), 3u);
}

// Issue 8, item 2, through the binary: links out of results are neither listed, nor cleaned up,
// nor restored to or from.
TEST(RunsIntegration, LinksOutOfResultsAreNeitherListedNorMoved) {
    ServerProcess server;
    const auto elsewhere = server.root() / "elsewhere";
    const auto elsewhere2 = server.root() / "elsewhere2";
    const std::string old_line = "{\"timestamp\": \"2020-01-01 00:00:00\", \"goal\": \"train\", \"progress\": 0.5}\n";
    fs::create_directories(elsewhere / "victim");
    append(elsewhere / "victim" / "ailab.log", old_line);  // would be a dead run
    fs::create_directories(elsewhere2 / "foo");
    append(elsewhere2 / "foo" / "ailab.log", old_line);
    fs::create_directories(server.results() / "mine");
    append(server.results() / "mine" / "ailab.log", old_line);
    fs::create_directory_symlink(elsewhere, server.results() / "outlink");
    fs::create_directories(server.results() / ".ailab-trash" / "2024-01-02" / "outlink" / "planted");
    append(server.results() / ".ailab-trash" / "2024-01-02" / "outlink" / "planted" / "ailab.log", old_line);
    fs::create_directory_symlink(elsewhere2, server.results() / ".ailab-trash" / "2020-01-01");
    server.start();
    auto token = server.login();

    auto runs = server.get("/api/v1/runs", token);
    ASSERT_EQ(runs.status, 200);
    ASSERT_EQ(runs.json().at("runs").as_array().size(), 1u) << runs.body;
    EXPECT_NE(find_run(runs.json(), "mine"), nullptr);

    auto cleanup = server.post("/api/v1/runs/cleanup",
                               boost::json::serialize(boost::json::object{{"ids", {run_id("outlink/victim")}}}), token);
    ASSERT_EQ(cleanup.status, 200) << cleanup.body;
    EXPECT_TRUE(cleanup.json().at("moved").as_array().empty()) << cleanup.body;
    EXPECT_TRUE(fs::exists(elsewhere / "victim" / "ailab.log"));

    auto restore = server.post(
        "/api/v1/runs/restore",
        boost::json::serialize(
            boost::json::object{{"items", {".ailab-trash/2020-01-01/foo", ".ailab-trash/2024-01-02/outlink/planted"}}}),
        token);
    ASSERT_EQ(restore.status, 200) << restore.body;
    EXPECT_TRUE(restore.json().at("restored").as_array().empty()) << restore.body;
    EXPECT_EQ(restore.json().at("errors").as_array().size(), 2u);
    EXPECT_EQ(restore.body.find(server.root().string()), std::string::npos) << "server paths in " << restore.body;
    EXPECT_TRUE(fs::exists(elsewhere2 / "foo" / "ailab.log"));
    EXPECT_FALSE(fs::exists(elsewhere / "planted"));
    EXPECT_FALSE(fs::exists(server.results() / "foo"));

    auto trash = server.get("/api/v1/runs/trash", token);
    ASSERT_EQ(trash.status, 200);
    EXPECT_EQ(trash.body.find("foo"), std::string::npos) << trash.body;  // the date folder links out
}

// Issue 8, item 1: side files that are links out of results are not read (a results share is
// written by many people); item 3: a log that is a device answers at once, keeps /health
// responsive, and SIGTERM still stops the server.
TEST(RunsIntegration, SideFilesAndLogsAreReadOnlyInsideResults) {
    ServerProcess server;
    const auto secret = server.root() / "secret.txt";
    append(secret, "root:x:0:0:SECRET\n");
    fs::create_directories(server.results() / "leaky");
    append(server.results() / "leaky" / "ailab.log", line(1, "train 1/2", 0.5, 0.1));
    fs::create_symlink("/etc/passwd", server.results() / "leaky" / "hparams.yaml");
    fs::create_symlink(secret, server.results() / "leaky" / "config.json");
    fs::create_directory_symlink(server.root(), server.results() / "leaky" / "outside");
    for (const char* device : {"/dev/zero", "/dev/urandom"}) {
        const auto folder = server.results() / (std::string("device_") + (device + 5));
        fs::create_directories(folder);
        fs::create_symlink(device, folder / "ailab.log");
    }
    fs::create_directories(server.results() / "fifo");  // inside results, but not a regular file
    ASSERT_EQ(mkfifo((server.results() / "fifo" / "ailab.log").c_str(), 0600), 0);
    server.start();
    const auto token = server.login();
    auto runs = server.get("/api/v1/runs", token);
    ASSERT_EQ(runs.status, 200) << runs.body;
    const auto listed = runs.json();

    const auto* leaky = find_run(listed, "leaky");
    ASSERT_NE(leaky, nullptr) << runs.body;
    auto detail = server.get("/api/v1/runs/" + std::string(leaky->at("id").as_string()), token);
    ASSERT_EQ(detail.status, 200) << detail.body;
    EXPECT_EQ(detail.body.find("root:"), std::string::npos) << detail.body;
    EXPECT_EQ(detail.body.find("SECRET"), std::string::npos) << detail.body;
    EXPECT_EQ(detail.body.find("\"outside/\""), std::string::npos) << "a link out listed as a folder: " << detail.body;

    for (const char* name : {"device_zero", "device_urandom", "fifo"}) {
        const auto* run = find_run(listed, name);
        ASSERT_NE(run, nullptr) << name;
        EXPECT_EQ(run->at("state").as_string(), "unreadable") << name;
        const std::string id(run->at("id").as_string());
        const auto started = std::chrono::steady_clock::now();
        for (const char* what : {"/metrics?max_points=100000", "/export?format=csv", "/metrics"}) {
            auto answer = server.get("/api/v1/runs/" + id + what, token);
            EXPECT_EQ(answer.status, 409) << name << what << ": " << answer.body;
            EXPECT_NE(answer.body.find(name), std::string::npos) << answer.body;  // names the run
            EXPECT_EQ(answer.body.find(server.results().string()), std::string::npos) << answer.body;
        }
        EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << name;
    }
    EXPECT_EQ(server.get("/api/v1/health").status, 200);
    EXPECT_EQ(server.stop(), 0);  // SIGTERM is honoured: nothing pins a thread
}

}  // namespace
}  // namespace ailab::testing
